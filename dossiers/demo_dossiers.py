"""The demo's dossiers, made by the real command path (so the audit log is real), true to seed 004.

In the first half of 2025 huyện Thạch An works on its plan: Đức Xuân, Lê Lợi and Vân Trình aim at NTM
(at different steps), Lê Lai and Đức Long — recognised NTM in 2016-2020 — at nâng cao. On 1/7/2025
the reorganisation (`dossiers.reorganisation`, replayed by `dossiers.demo.apply_demo_reform`) hands
the dossiers in flight to the merged communes and the provincial departments. In 2026 two merged
communes register under QĐ 51/2025 (set xa-ntm-2026): work a person trying the demo today carries on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.demo import REFORM_PLAN, DemoData, apply_demo_reform, department_officer, slug
from dossiers.handlers import handle
from dossiers.models import AuditEvent, Dossier, Reorganisation, Unit, User
from dossiers.planning.demo_reports import load_demo_reports
from dossiers.planning.obligations import reconcile
from dossiers.procedure_facts import tasks_of
from dossiers.reorganisation import TRANSFER_ACTION
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
    year: int = 2025


def _at(start: dt.datetime, days: int) -> dt.datetime:
    return start + dt.timedelta(days=days)


def _scenarios(demo: DemoData) -> list[Scenario]:
    """Seed 004 mục II.2.a: the three 2025 NTM targets and the two nâng cao communes, before 1/7/2025."""

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

    advanced = RecognitionLevel.COMMUNE_ADVANCED
    return [
        old("Đức Xuân", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.UNDER_APPRAISAL, 4),
        old("Lê Lợi", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.CONSULTING, 5),
        old("Vân Trình", RecognitionLevel.COMMUNE_NTM, "xa-ntm-2021", Stage.SELF_ASSESSING, 5),
        old("Lê Lai", advanced, "xa-ntm-nang-cao-2021", Stage.FORWARDED, 3),
        old("Đức Long", advanced, "xa-ntm-nang-cao-2021", Stage.RETURNED, 3),
    ]


def _scenarios_2026(demo: DemoData) -> list[Scenario]:
    """The 2026 cycle under QĐ 51/2025 on the provincial route: merged communes, no district."""

    def new(name: str, stage: Stage, month: int) -> Scenario:
        return Scenario(
            unit=demo.new_communes[name],
            level=RecognitionLevel.COMMUNE_NTM,
            set_code="xa-ntm-2026",
            stage=stage,
            start=dt.datetime(2026, month, 2, 2, 0, tzinfo=dt.UTC),
            officer=f"xa2025.{slug(name)}",
            front=f"mttq2025.{slug(name)}",
            coordinator="dieuphoi.caobang",
            approver="chutich.caobang",
            department_prefix="so.",
            year=2026,
        )

    return [new("Canh Tân", Stage.SELF_ASSESSING, 3), new("Kim Đồng", Stage.REGISTERED, 10)]


def load_demo_dossiers(session: Session, demo: DemoData) -> list[Dossier]:
    """The 2025 dossiers of the first half of 2025, each made once. Once the reorganisation moved
    them, they are found where it moved them (its audit events name each one)."""
    made = []
    for scenario in _scenarios(demo):
        made.append(_existing(session, scenario) or _play(session, demo, scenario))
    _reconcile_obligations(session, [2025])
    return made


def _reconcile_obligations(session: Session, years: list[int]) -> None:
    """Store the obligations the demo's dossiers and units owe, as the scheduler's first scan would, as of
    the demo's last event."""
    as_of = session.scalar(select(func.max(AuditEvent.occurred_at)))
    if as_of is not None:
        reconcile(session, as_of, years=years)


def load_demo_story(session: Session, demo: DemoData) -> dict[str, Dossier]:
    """The whole demo as it stands today: the first half of 2025, the 1/7/2025 reorganisation replayed
    by the feature (moving the dossiers in flight), the 2026 cycle. `demo` is loaded without the reform
    (`load_demo(..., reform=False)`); it is applied here, after the dossiers it moves exist.
    Keys: the commune a 2025 dossier was registered for ("Đức Xuân"), "<merged commune> 2026" for 2026."""
    if demo.reorganisation is None and not _reform_applied(session):
        before = load_demo_dossiers(session, demo)
        apply_demo_reform(session, demo)
    else:
        if not demo.new_communes:
            apply_demo_reform(session, demo)
        before = load_demo_dossiers(session, demo)
    story = {scenario.unit.name: dossier for scenario, dossier in zip(_scenarios(demo), before, strict=True)}
    for scenario in _scenarios_2026(demo):
        story[f"{scenario.unit.name} 2026"] = _existing(session, scenario) or _play(session, demo, scenario)
    # the communes' reports and watched values of 2026 (dossiers.planning.demo_reports)
    load_demo_reports(session, demo.new_communes, demo.users)
    _reconcile_obligations(session, [2025, 2026])
    return story


def _reform_applied(session: Session) -> bool:
    return session.scalar(select(Reorganisation.id).where(Reorganisation.code == REFORM_PLAN)) is not None


def _existing(session: Session, scenario: Scenario) -> Dossier | None:
    """The scenario's dossier, on its unit or on the unit a reorganisation moved it to."""
    query = select(Dossier).where(Dossier.level == scenario.level, Dossier.year == scenario.year)
    found = session.scalars(query.where(Dossier.unit_id == scenario.unit.id)).first()
    if found is not None:
        return found
    moved = session.scalars(
        select(AuditEvent.dossier_id).where(AuditEvent.action == TRANSFER_ACTION).order_by(AuditEvent.id)
    ).all()
    for candidate in session.scalars(query.where(Dossier.id.in_(moved))):
        first = next(e for e in candidate.events if e.action == TRANSFER_ACTION)
        if first.payload.get("before", {}).get("unit_id") == scenario.unit.id:
            return candidate
    return None


def _play(session: Session, demo: DemoData, s: Scenario) -> Dossier:
    users: dict[str, User] = demo.users
    officer = users[s.officer]
    opened = handle(
        session,
        officer,
        s.start,
        c.Register(unit_id=s.unit.id, level=s.level, year=s.year, criteria_set_id=demo.sets[s.set_code].id),
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
        # half of the departments have answered; a co-appraising seat (every indicator of its task is in
        # another task too: Hội LHPN beside Phòng TN&MT on 17.8) has not yet
        held = Counter(item.indicator_id for task in tasks for item in task.items)
        leading = [task for task in tasks if any(held[item.indicator_id] == 1 for item in task.items)]
        tasks = leading[: len(leading) // 2]
    for task in tasks:
        actor = department_officer(session, task.department.id) if task.department else users[s.coordinator]
        codes = sorted(item.indicator.code for item in task.items)
        if s.stage == Stage.RETURNED and task is tasks[-1]:
            reasons = {codes[0]: "Thiếu biên bản kiểm tra thực tế và ảnh hiện trường."}
            handle(session, actor, day, c.ReturnIndicators(dossier_id=dossier.id, reasons=reasons))
            if len(codes) > 1:
                handle(session, actor, day, c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(codes[1:])))
        else:
            handle(session, actor, day, c.ApproveIndicators(dossier_id=dossier.id, codes=tuple(codes)))
