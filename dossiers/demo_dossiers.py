"""The demo's 2025 dossiers, in a spread of states, made by the real services (so the audit log is real).

Dossiers of huyện Thạch An run in the first half of 2025, while the district still existed; the
dossier of the merged xã Thạch An runs after 1/7/2025, appraised by provincial departments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import procedure_service as service
from dossiers.demo import DemoData, slug
from dossiers.models import Dossier, Unit, User
from dossiers.procedure_facts import tasks_of
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
    dossier = service.register_dossier(
        session, officer, s.start, unit=s.unit, level=s.level, year=2025, criteria_set=demo.sets[s.set_code]
    )
    if s.stage == Stage.REGISTERED:
        return dossier
    service.take_action(session, users[s.coordinator], _at(s.start, 1), dossier, "confirm_registration")
    indicators = dossier.criteria_set.indicators()
    assessed = indicators if s.stage > Stage.SELF_ASSESSING else indicators[: len(indicators) // 2]
    for indicator in assessed:
        service.record_assessment(session, officer, _at(s.start, 2), dossier, indicator.code, met=True, value="Đạt")
    if s.stage == Stage.SELF_ASSESSING:
        return dossier
    service.take_action(session, officer, _at(s.start, 3), dossier, "finish_self_assessment")
    first_day = _at(s.start, 4).date()
    service.record_posting(
        session, officer, _at(s.start, 4), dossier, start=first_day, end=first_day + dt.timedelta(days=14),
        announcements=5,
    )  # fmt: skip
    if s.stage == Stage.CONSULTING:
        return dossier
    service.record_survey(
        session, users[s.front], _at(s.start, 10), dossier, households_total=1200, households_reached=910,
        households_satisfied=868,
    )  # fmt: skip
    service.record_vote(session, officer, _at(s.start, 19), dossier, votes_total=35, votes_in_favour=34)
    service.take_action(session, officer, _at(s.start, 20), dossier, "submit")
    _appraise(session, demo, s, dossier)
    if s.stage < Stage.FORWARDED:
        return dossier
    day = _at(s.start, 36)
    prefix = s.department_prefix
    finance, police = ("phong.tc-kh", "phong.cong-an") if prefix == "phong." else ("so.so-tc", "so.so-ca")
    service.confirm_condition(session, users[finance], day, dossier, NO_CONSTRUCTION_DEBT, holds=True)
    service.confirm_condition(session, users[police], day, dossier, NOT_COMPLEX_SECURITY, holds=True)
    service.take_action(session, users[s.coordinator], _at(s.start, 37), dossier, "forward")
    if s.stage == Stage.RECOGNISED:
        service.take_action(
            session, users[s.approver], _at(s.start, 45), dossier, "recognise", decision_number="215/QĐ-UBND"
        )
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
            service.return_indicators(
                session, actor, day, dossier, {codes[0]: "Thiếu biên bản kiểm tra thực tế và ảnh hiện trường."}
            )
            if len(codes) > 1:
                service.approve_indicators(session, actor, day, dossier, codes[1:])
        else:
            service.approve_indicators(session, actor, day, dossier, codes)
