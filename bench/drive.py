"""The one place the benchmark calls the engine's write services: one function per procedure step.

Each function is one *action* as a web request runs it: the caller opens the session, loads the actor
and the dossier, calls the function, commits. Porting to a command API (`handle(session, actor, now,
command)`) means rewriting the body of each function here and nothing else.

`assess_all` is one action that records every indicator of the dossier's criteria set: today's
service records one indicator per call, so it loops inside the caller's single transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dossiers import procedure_service as service
from dossiers.models import CriteriaSet, Dossier, Unit, User
from workflow.vocabulary import RecognitionLevel

#: commune NTM dossiers in this benchmark
LEVEL = RecognitionLevel.COMMUNE_NTM


def register(
    session: Session, actor: User, now: dt.datetime, unit: Unit, criteria_set: CriteriaSet, year: int
) -> Dossier:
    return service.register_dossier(session, actor, now, unit=unit, level=LEVEL, year=year, criteria_set=criteria_set)


def confirm_registration(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    service.take_action(session, actor, now, dossier, "confirm_registration")


def assess_all(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    """Every indicator met, in one transaction (the bulk self-assessment the command API will offer)."""
    for indicator in dossier.criteria_set.indicators():
        service.record_assessment(session, actor, now, dossier, indicator.code, met=True, value="Đạt")


def finish_self_assessment(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    service.take_action(session, actor, now, dossier, "finish_self_assessment")


def record_posting(
    session: Session, actor: User, now: dt.datetime, dossier: Dossier, start: dt.date, end: dt.date
) -> None:
    service.record_posting(session, actor, now, dossier, start=start, end=end, announcements=5)


def record_survey(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    service.record_survey(
        session, actor, now, dossier, households_total=1200, households_reached=910, households_satisfied=868
    )


def record_vote(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    service.record_vote(session, actor, now, dossier, votes_total=35, votes_in_favour=34)


def submit(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    service.take_action(session, actor, now, dossier, "submit")


def approve(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    """The actor's department (or, for the coordinator, the fallback seat) approves all it still has pending."""
    service.approve_indicators(session, actor, now, dossier)


def confirm_condition(session: Session, actor: User, now: dt.datetime, dossier: Dossier, condition: str) -> None:
    service.confirm_condition(session, actor, now, dossier, condition, holds=True)


def forward(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    service.take_action(session, actor, now, dossier, "forward")


def recognise(session: Session, actor: User, now: dt.datetime, dossier: Dossier) -> None:
    service.take_action(session, actor, now, dossier, "recognise", decision_number="01/QĐ-UBND")
