"""The demo's 2025 dossiers, in a spread of states, made by the real command path (so the audit log is real).

Dossiers of huyện Thạch An run in the first half of 2025, while the district still existed; the
dossier of the merged xã Thạch An runs after 1/7/2025, appraised by provincial departments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.demo import DemoData, slug
from dossiers.handlers import handle
from dossiers.models import Dossier, Unit, User
from dossiers.procedure_facts import tasks_of
from workflow.measures import value_meeting
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import RecognitionLevel


class Stage(IntEnum):
    """How far a demo dossier goes."""

    REGISTERED = 1
    SELF_ASSESSING = 2
    CONSULTING = 3
    UNDER_APPRAISAL = 4
    RETURNED = 5
    APPRAISED = 6
    FORWARDED = 7
    RECOGNISED = 8


@dataclass(frozen=True)
class Scenario:
    unit: Unit
    level: RecognitionLevel
    set_code: str
    stage: Stage
    start: dt.datetime
    officer: str
    front: str
    coordinator: str
    approver: str
    department_prefix: str


def _at(start: dt.datetime, days: int) -> dt.datetime:
    return start + dt.timedelta(days=days)


def _scenarios(demo: DemoData) -> list[Scenario]:
    def old(name: str, level: RecognitionLevel, set_code: str, stage: Stage, month: int) -> Scenario:
        return Scenario(
            unit=demo.communes[name],
            level=level,
            set_code=set_code,
            stage=stage,
            start=dt.datetime(2025, month, 3, 2, 0, tzinfo=dt.UTC),  # 09:00 in Vietnam
            officer=f"xa.{slug(name)}",
            front=f"mttq.{slug(name)}",
            coordinator="dieuphoi.thachan",
            approver="chutich.caobang",
            department_prefix="phong.",
        )

    return [
        old("Lê Lai", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.RECOGNISED, 2),
        old("Đức Long", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.RETURNED, 3),
        old("Đức Xuân", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.UNDER_APPRAISAL, 4),
        old("Canh Tân", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.FORWARDED, 3),
        old("Lê Lợi", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.CONSULTING, 5),
        old("Vân Trình", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.SELF_ASSESSING, 5),
        old("Kim Đồng", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.REGISTERED, 6),
        Scenario(
            unit=demo.new_communes["Thạch An"],
            level=RecognitionLevel.COMMUNE_NTM,
            set_code="xa-ntm-2021",
            stage=Stage.UNDER_APPRAISAL,
            start=dt.datetime(2025, 8, 4, 2, 0, tzinfo=dt.UTC),
            officer="xa2025.thachan",
            front="mttq2025.thachan",
            coordinator="dieuphoi.caobang",
            approver="chutich.caobang",
            department_prefix="so.",
        ),
    ]


def load_demo_dossiers(session: Session, demo: DemoData) -> list[Dossier]:
    """Create each demo dossier once; a dossier already there for (unit, level, 2025) is left as it is."""
    made = []
    for scenario in _scenarios(demo):
        existing = session.scalars(
            select(Dossier).where(
                Dossier.unit_id == scenario.unit.id, Dossier.level == scenario.level, Dossier.year == 2025
            )
        ).first()
        made.append(existing or _play(session, demo, scenario))
    return made


def _play(session: Session, demo: DemoData, s: Scenario) -> Dossier:
    users: dict[str, User] = demo.users
    officer = users[s.officer]
    opened = handle(
        session,
        officer,
        s.start,
        c.Register(unit_id=s.unit.id, level=s.level, year=2025, criteria_set_id=demo.sets[s.set_code].id),
    ).opened()
    dossier, ident = opened, opened.id
    if s.stage == Stage.REGISTERED:
        return dossier
    handle(session, users[s.coordinator], _at(s.start, 1), c.ConfirmRegistration(dossier_id=ident))
    indicators = dossier.criteria_set.indicators()
    assessed = indicators if s.stage > Stage.SELF_ASSESSING else indicators[: len(indicators) // 2]
    unit = s.unit
    entries = tuple(
        c.AssessmentEntry(
            indicator.code,
            met=True,
            value=value_meeting(
                indicator.measure,
                indicator.threshold_for(unit.region, unit.commune_group, 2025),
                indicator.answers or (),
            ),
        )
        for indicator in assessed
    )
    handle(session, officer, _at(s.start, 2), c.RecordAssessments(dossier_id=ident, entries=entries))
    if s.stage == Stage.SELF_ASSESSING:
        return dossier
    handle(session, officer, _at(s.start, 3), c.FinishSelfAssessment(dossier_id=ident))
    first_day = _at(s.start, 4).date()
    posting = c.RecordPosting(dossier_id=ident, start=first_day, end=first_day + dt.timedelta(days=14), announcements=5)
    handle(session, officer, _at(s.start, 4), posting)
    if s.stage == Stage.CONSULTING:
        return dossier
    survey = c.RecordSurvey(dossier_id=ident, households_total=1200, households_reached=910, households_satisfied=868)
    handle(session, users[s.front], _at(s.start, 10), survey)
    handle(session, officer, _at(s.start, 19), c.RecordVote(dossier_id=ident, votes_total=35, votes_in_favour=34))
    handle(session, officer, _at(s.start, 20), c.Submit(dossier_id=ident))
    _appraise(session, demo, s, dossier)
    if s.stage < Stage.FORWARDED:
        return dossier
    day = _at(s.start, 36)
    prefix = s.department_prefix
    finance, police = ("phong.tc-kh", "phong.cong-an") if prefix == "phong." else ("so.so-tc", "so.so-ca")
    handle(
        session, users[finance], day, c.ConfirmCondition(dossier_id=ident, condition=NO_CONSTRUCTION_DEBT, holds=True)
    )
    handle(
        session, users[police], day, c.ConfirmCondition(dossier_id=ident, condition=NOT_COMPLEX_SECURITY, holds=True)
    )
    handle(session, users[s.coordinator], _at(s.start, 37), c.Forward(dossier_id=ident))
    if s.stage == Stage.RECOGNISED:
        recognise = c.Recognise(dossier_id=ident, decision_number="215/QĐ-UBND")
        handle(session, users[s.approver], _at(s.start, 45), recognise)
    return dossier


def _appraise(session: Session, demo: DemoData, s: Scenario, dossier: Dossier) -> None:
    """Departments answer their tasks: all of them, all but one (under appraisal), or one returns an indicator."""
    users = demo.users
    day = _at(s.start, 30)
    tasks = list(tasks_of(session, dossier))
    if s.stage == Stage.UNDER_APPRAISAL:
        tasks = tasks[: len(tasks) // 2]
    for task in tasks:
        actor = users[f"{s.department_prefix}{task.department.code}"] if task.department else users[s.coordinator]
        codes = sorted(item.indicator.code for item in task.items)
        if s.stage == Stage.RETURNED and task is tasks[-1]:
            reasons = {codes[0]: "Thiếu biên bản kiểm tra thực tế và ảnh hiện trường."}
            handle(session, actor, day, c.ReturnIndicators(dossier_id=dossier.id, reasons=reasons))
            if len(codes) > 1:
                handle(session, actor, day, c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(codes[1:])))
        else:
            handle(session, actor, day, c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(codes)))
