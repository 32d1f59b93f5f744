"""Two actions racing on one dossier: one wins, the other gets StaleDossier, one event is logged.

Runs on a database of its own (the code commits for real), on SQLite and on PostgreSQL: two
sessions, and two threads whose flushes meet at the row (PostgreSQL blocks the second UPDATE on the
row lock, SQLite on its write lock; both then find the version moved)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from dossiers import commands as c
from dossiers.db import make_engine
from dossiers.handlers import handle, replayed_state
from dossiers.models import AuditEvent, Dossier, User
from tests.dossiers.procedure_world import BEFORE, build_world, commune_dossier_submitted, later
from workflow.errors import StaleDossier


@pytest.fixture
def engine_with_dossier(isolated_database_url: str) -> Iterator[tuple[Engine, int]]:
    engine = make_engine(isolated_database_url)
    with Session(engine) as session:
        world = build_world(session, BEFORE)
        dossier = commune_dossier_submitted(session, world, BEFORE)
        session.commit()
        dossier_id = dossier.id
    yield engine, dossier_id
    engine.dispose()


def approvals(engine: Engine, dossier_id: int) -> int:
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.dossier_id == dossier_id, AuditEvent.action == "approve_indicators"
                )
            )
            or 0
        )


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def test_interleaved_approvals_one_wins(engine_with_dossier: tuple[Engine, int]) -> None:
    engine, dossier_id = engine_with_dossier
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as first, factory() as second:
        dossier_a = first.get(Dossier, dossier_id)
        dossier_b = second.get(Dossier, dossier_id)
        assert dossier_a is not None and dossier_b is not None
        assert dossier_a.version == dossier_b.version
        handle(first, user(first, "phong.nn-ptnt"), later(BEFORE, 40), c.ApproveIndicators(dossier_id=dossier_a.id))
        first.commit()
        with pytest.raises(StaleDossier):
            # no expected version: the row the second session loaded is stale, its flush finds it out
            handle(second, user(second, "phong.tn-mt"), later(BEFORE, 40), c.ApproveIndicators(dossier_id=dossier_b.id))
        second.rollback()
    assert approvals(engine, dossier_id) == 1


def test_concurrent_approvals_in_two_threads(engine_with_dossier: tuple[Engine, int]) -> None:
    engine, dossier_id = engine_with_dossier
    factory = sessionmaker(engine, expire_on_commit=False)
    loaded = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def approve(username: str) -> None:
        with factory() as session:
            dossier = session.get(Dossier, dossier_id)
            actor = user(session, username)
            assert dossier is not None
            dossier.state  # noqa: B018 - load the row (and its version) before the other thread writes
            loaded.wait()
            try:
                handle(session, actor, later(BEFORE, 40), c.ApproveIndicators(dossier_id=dossier.id))
                session.commit()
                outcomes[username] = "ok"
            except StaleDossier:
                session.rollback()
                outcomes[username] = "stale"

    threads = [threading.Thread(target=approve, args=(name,)) for name in ("phong.nn-ptnt", "phong.tn-mt")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["ok", "stale"]
    assert approvals(engine, dossier_id) == 1
    with Session(engine) as session:
        dossier = session.get(Dossier, dossier_id)
        assert dossier is not None and replayed_state(session, dossier) == dossier.state == "under_appraisal"
