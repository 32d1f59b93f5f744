"""The one place the benchmark calls the engine's write services: one function per procedure step.

Each function is one *action* as a web request runs it: the caller opens the session, loads the actor
and the dossier, calls the function, commits. Porting to a command API (`handle(session, actor, now,
command)`) means rewriting the body of each function here and nothing else.

`assess_all` is one action that records every indicator of the dossier's criteria set with the bulk
command (`RecordAssessments`): one transaction, one audit event.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle
from dossiers.models import CriteriaSet, Dossier, Unit, User
from workflow.vocabulary import RecognitionLevel

#: commune NTM dossiers in this benchmark
LEVEL = RecognitionLevel.COMMUNE_NTM


def register(
    session: Session, actor: User, now: dt.datetime, unit: Unit, criteria_set: CriteriaSet, year: int
) -> Dossier:
    command = c.Register(unit_id=unit.id, level=LEVEL, year=year, criteria_set_id=criteria_set.id)
    return handle(session, actor, now, command).opened()


def confirm_registration(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    handle(session, actor, now, c.ConfirmRegistration(dossier_id=dossier.id))


def assess_all(session: Session, actor: User, now: dt.datetime, dossier: Dossier, codes: list[str]) -> None:
    """Every indicator met: one bulk command, one transaction, one audit event."""
    entries = tuple(c.AssessmentEntry(code, met=True) for code in codes)
    handle(session, actor, now, c.RecordAssessments(dossier_id=dossier.id, entries=entries))


def finish_self_assessment(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    handle(session, actor, now, c.FinishSelfAssessment(dossier_id=dossier.id))


def record_posting(
    session: Session, actor: User, now: dt.datetime, dossier: Dossier, start: dt.date, end: dt.date
) -> None:
    handle(session, actor, now, c.RecordPosting(dossier_id=dossier.id, start=start, end=end, announcements=5))


def record_survey(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    survey = c.RecordSurvey(
        dossier_id=dossier.id, households_total=1200, households_reached=910, households_satisfied=868
    )
    handle(session, actor, now, survey)


def record_vote(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    handle(session, actor, now, c.RecordVote(dossier_id=dossier.id, votes_total=35, votes_in_favour=34))


def submit(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    handle(session, actor, now, c.Submit(dossier_id=dossier.id))


def approve(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    """The actor's department (or, for the coordinator, the fallback seat) approves all it still has pending."""
    handle(session, actor, now, c.ApproveIndicators(dossier_id=dossier.id))


def confirm_condition(session: Session, actor: User, now: dt.datetime, dossier: Dossier, condition: str) -> None:
    handle(session, actor, now, c.ConfirmCondition(dossier_id=dossier.id, condition=condition, holds=True))


def forward(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    handle(session, actor, now, c.Forward(dossier_id=dossier.id))


def recognise(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    handle(session, actor, now, c.Recognise(dossier_id=dossier.id, decision_number="01/QĐ-UBND"))
