"""The command path issues few statements per action: a commune NTM dossier carried from registration
to recognition, one command per fresh session as a web request would run it (nothing cached in the
session between actions), counted on the database connection."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle
from dossiers.models import AppraisalTask, User
from tests.dossiers.procedure_world import BEFORE, World, build_world, later
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import RecognitionLevel

#: the engine-core issue's target for the median over every action of the dossier
MEDIAN_LIMIT = 8
#: the one-row steps: loading the dossier, the actor, what the step reads, then UPDATE + INSERT
SMALL_STEP_LIMIT = 8


@pytest.fixture
def world(session: Session) -> World:
    world = build_world(session, BEFORE)
    session.commit()
    return world


@pytest.fixture
def counted(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    yield statements
    event.remove(connection, "before_cursor_execute", count)


def test_a_whole_commune_dossier_in_few_statements_per_action(
    session: Session, world: World, counted: list[str]
) -> None:
    counts: list[tuple[str, int]] = []

    def act(username: str, now: dt.datetime, command: c.Command) -> int | None:
        session.expunge_all()  # a new request: nothing of the last action is in the session
        user = session.scalars(select(User).where(User.username == username)).one()
        counted.clear()
        outcome = handle(session, user, now, command)
        session.commit()
        counts.append((type(command).__name__, len(counted)))
        return outcome.dossier.id if outcome.dossier is not None else None

    start = BEFORE
    register = c.Register(
        unit_id=world.commune.id,
        level=RecognitionLevel.COMMUNE_NTM,
        year=2025,
        criteria_set_id=world.commune_set.id,
    )
    dossier_id = act("xa", start, register)
    assert dossier_id is not None
    codes = [indicator.code for indicator in world.commune_set.indicators()]
    act("dieuphoi", later(start, 1), c.ConfirmRegistration(dossier_id=dossier_id))
    entries = tuple(c.AssessmentEntry(code, met=True) for code in codes)
    act("xa", later(start, 2), c.RecordAssessments(dossier_id=dossier_id, entries=entries))
    act("xa", later(start, 3), c.FinishSelfAssessment(dossier_id=dossier_id))
    today = later(start, 30).date()
    posting = c.RecordPosting(
        dossier_id=dossier_id, start=today - dt.timedelta(days=20), end=today - dt.timedelta(days=6), announcements=5
    )
    act("xa", later(start, 30), posting)
    survey = c.RecordSurvey(
        dossier_id=dossier_id, households_total=1000, households_reached=800, households_satisfied=760
    )
    act("mttq", later(start, 30), survey)
    act("xa", later(start, 30), c.RecordVote(dossier_id=dossier_id, votes_total=40, votes_in_favour=38))
    act("xa", later(start, 31), c.Submit(dossier_id=dossier_id))
    tasks = session.scalars(select(AppraisalTask).where(AppraisalTask.dossier_id == dossier_id)).all()
    appraisers = [f"phong.{t.department.code}" if t.department else "dieuphoi" for t in tasks]
    for username in appraisers:
        act(username, later(start, 40), c.ApproveIndicators(dossier_id=dossier_id))
    act(
        "phong.tc-kh",
        later(start, 41),
        c.ConfirmCondition(dossier_id=dossier_id, condition=NO_CONSTRUCTION_DEBT, holds=True),
    )
    act(
        "phong.cong-an",
        later(start, 41),
        c.ConfirmCondition(dossier_id=dossier_id, condition=NOT_COMPLEX_SECURITY, holds=True),
    )
    act("dieuphoi", later(start, 42), c.Forward(dossier_id=dossier_id))
    act("chutich.tinh", later(start, 43), c.Recognise(dossier_id=dossier_id, decision_number="01/QĐ"))

    assert statistics.median(n for _, n in counts) <= MEDIAN_LIMIT, counts
    small = ("ConfirmRegistration", "RecordPosting", "RecordSurvey", "RecordVote", "ConfirmCondition")
    assert all(n <= SMALL_STEP_LIMIT for name, n in counts if name in small), counts
    # every approval but the last (which completes the appraisal by itself) is a small step too
    approvals = [n for name, n in counts if name == "ApproveIndicators"]
    assert all(n <= SMALL_STEP_LIMIT for n in approvals[:-1]), counts
