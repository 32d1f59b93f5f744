"""Model-level guarantees: UTC times, the append-only audit log, unit lineage, scoped roles."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dossiers.models import AuditEvent, AuditLogRewriteError, Dossier, RoleAssignment, Unit, User
from dossiers.territory import load_territory
from workflow.vocabulary import RecognitionLevel, Role, UnitKind


def test_times_come_back_aware_utc(session: Session, bare_dossier: Dossier) -> None:
    local = dt.datetime(2025, 9, 19, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    bare_dossier.updated_at = local
    session.flush()
    session.expire_all()
    reloaded = session.get(Dossier, bare_dossier.id)
    assert reloaded is not None
    assert reloaded.updated_at == local and reloaded.updated_at.tzinfo == dt.UTC


def test_naive_datetimes_are_refused(session: Session, bare_dossier: Dossier) -> None:
    bare_dossier.updated_at = dt.datetime(2025, 9, 19, 12, 0)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_audit_events_cannot_be_changed_or_deleted(session: Session, bare_dossier: Dossier, now: dt.datetime) -> None:
    event = AuditEvent(dossier=bare_dossier, occurred_at=now, action="register", to_state="registered", payload={})
    session.add(event)
    session.flush()
    event.comment = "sửa lại"
    with pytest.raises(AuditLogRewriteError):
        session.flush()
    session.rollback()
    stored = session.scalars(select(AuditEvent)).first()
    if stored is not None:
        session.delete(stored)
        with pytest.raises(AuditLogRewriteError):
            session.flush()


def test_lineage_is_transitive(session: Session) -> None:
    old_a = Unit(name="A", kind=UnitKind.COMMUNE)
    old_b = Unit(name="B", kind=UnitKind.COMMUNE)
    middle = Unit(name="AB", kind=UnitKind.COMMUNE, predecessors=[old_a, old_b])
    newest = Unit(name="ABC", kind=UnitKind.COMMUNE, predecessors=[middle])
    session.add(newest)
    session.flush()
    territory = load_territory(session, [newest.id], lineage=True)
    assert {p.name for p in territory.all_predecessors(newest.id)} == {"A", "B", "AB"}
    assert [p.name for p in territory.successors_on(old_a.id, dt.date(2026, 1, 1))] == ["A"]
    assert old_a.successors == [middle]


def test_a_role_must_be_scoped_unless_admin(session: Session) -> None:
    user = User(username="u", full_name="U", email="u@x", password_hash="x")
    user.roles.append(RoleAssignment(role=Role.UNIT_OFFICER))
    session.add(user)
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize(
    ("column", "value"),
    [("state", "lost_in_the_mail"), ("level", "province-ntm"), ("kind", "appeal"), ("route", "commune-to-nowhere")],
)
def test_the_database_refuses_a_dossier_outside_the_vocabulary(
    session: Session, bare_dossier: Dossier, now: dt.datetime, column: str, value: str
) -> None:
    valid = {"state": "registered", "level": RecognitionLevel.COMMUNE_NTM, "kind": "recognition", "route": None}
    dossier = Dossier(
        unit=bare_dossier.unit, authority_unit=bare_dossier.authority_unit, year=2026,
        criteria_set=bare_dossier.criteria_set, created_at=now, updated_at=now, **{**valid, column: value},
    )  # fmt: skip
    session.add(dossier)
    with pytest.raises(IntegrityError, match=f"{column}_allowed"):
        session.flush()


def test_the_database_refuses_a_role_outside_the_vocabulary(session: Session) -> None:
    user = User(username="u", full_name="U", email="u@x", password_hash="x")
    commune = Unit(name="Lê Lai", kind=UnitKind.COMMUNE)
    user.roles.append(RoleAssignment(role="superuser", unit=commune))  # type: ignore[arg-type]
    session.add(user)
    with pytest.raises(IntegrityError, match="role_allowed"):
        session.flush()
