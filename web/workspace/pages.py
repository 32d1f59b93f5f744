"""What the workspace pages show, read from the database: the dossier page and "Việc của tôi".

Only reads. Which actions a person may take is the services' answer (`available_actions`); this
module narrows it to what a form can be offered for (the appraisal task a department answers, the
conditions a department confirms) using the same domain functions the services use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossiers.access import may_view, principals
from dossiers.models import (
    AppraisalTask,
    AuditEvent,
    ConditionConfirmation,
    Consultation,
    CriteriaSet,
    Criterion,
    Department,
    Dossier,
    Indicator,
    ModelConditions,
    SupplementRequest,
    Unit,
    User,
)
from dossiers.models.appraisal import APPROVED, RETURNED
from dossiers.procedure_facts import (
    build_facts,
    grants_of,
    open_appraisal_tasks,
    owners_by_indicator,
    procedure_of,
    seat_grants,
    tasks_of,
    vietnam_today,
)
from dossiers.procedure_service import PLAIN_ACTIONS, available_actions, supplement_requests
from workflow.engine import Grant, Party, Procedure
from workflow.procedures import FALLBACK_APPRAISER, PROCEDURES, UnknownProcedure, procedure_for
from workflow.routes import COMMUNE_LEVELS, DISTRICT_LEVELS, HAMLET_LEVELS
from workflow.rules import CONDITION_LABELS, DEFAULT_RULES, Rules
from workflow.vocabulary import (
    RECOGNITION_LEVEL_LABELS,
    ROLE_LABELS,
    DossierKind,
    RecognitionLevel,
    Role,
    UnitKind,
)

#: actions that open a dossier: they are not in any procedure's list of actions
OPENING_LABELS = {
    "register": "Đăng ký hồ sơ",
    "open_revocation": "Mở hồ sơ xét thu hồi (tự động)",
}
APPRAISAL_ACTIONS = frozenset({"approve_indicators", "return_indicators"})
FORM_ANCHORS = {
    "record_assessment": "ghi-danh-gia",
    "attach_evidence": "minh-chung",
    "record_posting": "form-posting",
    "record_survey": "form-survey",
    "record_vote": "form-vote",
    "record_announcement": "form-announcement",
    "record_model_conditions": "form-model",
    "confirm_condition": "form-condition",
    "approve_indicators": "tham-tra",
    "return_indicators": "tham-tra",
}
DECISION_LABELS = {None: "Chờ thẩm tra", APPROVED: "Đạt", RETURNED: "Trả lại"}

#: state names that end the procedure wherever they occur: nobody acts on such a dossier any more
FINAL_STATES = frozenset(
    state.name
    for procedure in PROCEDURES.values()
    for state in procedure.definition.states
    if state.final and all(s.final for p in PROCEDURES.values() for s in p.definition.states if s.name == state.name)
)

#: recognition levels a unit of each kind applies for
LEVELS_BY_KIND: dict[str, tuple[RecognitionLevel, ...]] = {
    UnitKind.COMMUNE: COMMUNE_LEVELS,
    UnitKind.HAMLET: HAMLET_LEVELS,
    UnitKind.DISTRICT: DISTRICT_LEVELS,
}


def state_label(dossier: Dossier) -> str:
    try:
        return procedure_of(dossier).state_label(dossier.state)
    except UnknownProcedure:
        return dossier.state


def action_label(procedure: Procedure, action: str) -> str:
    if action in OPENING_LABELS:
        return OPENING_LABELS[action]
    try:
        return procedure.action(action).label
    except KeyError:
        return action


def role_label(role: str | None) -> str:
    if role is None or role == Party.SYSTEM.value:
        return "Hệ thống"
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def answerable_tasks(
    session: Session,
    user: User,
    now: dt.datetime,
    dossier: Dossier,
    tasks: Sequence[AppraisalTask],
    actions: Iterable[str],
) -> list[AppraisalTask]:
    """Tasks with indicators still waiting that the user (or whom they substitute for) answers: their
    department's, or the fallback seat whose (role, authority) grant they hold — as the service picks them."""
    if not APPRAISAL_ACTIONS & set(actions):
        return []
    people = principals(session, user, now)
    departments = {
        a.department_id
        for person in people
        for a in person.roles
        if a.role == Role.DEPARTMENT_OFFICER and a.department_id is not None
    }
    grants: set[Grant] = set()
    for person in people:
        grants |= grants_of(session, person, dossier)
    return [
        task
        for task in tasks
        if task.pending()
        and (
            (task.department_id is not None and task.department_id in departments)
            or (
                task.department_id is None
                and task.fallback_role is not None
                and Grant(Role(task.fallback_role), Party.AUTHORITY) in grants
            )
        )
    ]


def confirmable_conditions(
    session: Session, user: User, now: dt.datetime, dossier: Dossier, rules: Rules = DEFAULT_RULES
) -> list[str]:
    """Conditions a department of the user (or of whom they substitute for) confirms for this dossier."""
    found: list[str] = []
    for person in principals(session, user, now):
        for assignment in person.roles:
            department = assignment.department
            if assignment.role != Role.DEPARTMENT_OFFICER or department is None:
                continue
            if department.unit_id != dossier.authority_unit_id:
                continue
            found.extend(c for c in rules.conditions_confirmed_by(department.code) if c not in found)
    return found


# --- the dossier page ------------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    indicator: Indicator
    threshold: Any
    value: str | None
    met: bool | None
    note: str | None
    owners: list[str]
    #: (task label, decision label, reason) for each task holding the indicator
    appraisal: list[tuple[str, str, str | None]]


@dataclass
class CriterionBlock:
    criterion: Criterion
    rows: list[IndicatorRow]


@dataclass
class TaskView:
    task: AppraisalTask
    label: str
    approved: int
    returned: list[tuple[str, str | None]]
    pending: list[str]

    @property
    def status(self) -> str:
        if self.pending:
            return "Đang thẩm tra"
        return "Có chỉ tiêu trả lại" if self.returned else "Đã thẩm tra đạt"


@dataclass
class EventView:
    event: AuditEvent
    action: str
    role: str
    from_state: str
    to_state: str
    details: str


@dataclass
class ConditionView:
    code: str
    label: str
    confirmation: ConditionConfirmation | None


@dataclass
class ActionHint:
    name: str
    label: str
    #: what the engine finds missing now (the button stays: the service gives the full answer)
    missing: list[str]


@dataclass
class DossierPage:
    dossier: Dossier
    procedure: Procedure
    state_label: str
    criteria: list[CriterionBlock]
    indicators: list[Indicator]
    consultation: Consultation | None
    model_conditions: ModelConditions | None
    conditions: list[ConditionView]
    tasks: list[TaskView]
    supplements: list[SupplementRequest]
    events: list[EventView]
    actions: list[str]
    plain_actions: list[ActionHint]
    answerable: list[TaskView]
    confirmable: list[str]
    fallback_label: str
    condition_labels: dict[str, str] = field(default_factory=lambda: dict(CONDITION_LABELS))

    def may(self, action: str) -> bool:
        return action in self.actions

    def row(self, code: str) -> IndicatorRow | None:
        return next((r for block in self.criteria for r in block.rows if r.indicator.code == code), None)

    @property
    def assessed(self) -> int:
        return sum(1 for block in self.criteria for r in block.rows if r.met is not None)

    def action_label(self, action: str) -> str:
        return action_label(self.procedure, action)

    def anchor(self, action: str) -> str:
        """Where on the page the form of `action` is."""
        return FORM_ANCHORS.get(action, f"form-{action}")


def _task_view(task: AppraisalTask) -> TaskView:
    return TaskView(
        task=task,
        label=task.label,
        approved=sum(1 for i in task.items if i.decision == APPROVED),
        returned=[(i.indicator.code, i.reason) for i in task.items if i.decision == RETURNED],
        pending=[i.indicator.code for i in task.items if i.decision is None],
    )


def _event_details(payload: dict[str, Any]) -> str:
    parts = []
    if payload.get("indicator"):
        parts.append(f"chỉ tiêu {payload['indicator']}")
    if payload.get("indicators"):
        parts.append(f"chỉ tiêu {', '.join(map(str, payload['indicators']))}")
    if payload.get("reasons"):
        parts.append("; ".join(f"{code}: {reason}" for code, reason in payload["reasons"].items()))
    if payload.get("condition") in CONDITION_LABELS:
        holds = "đạt" if payload.get("holds") else "không đạt"
        parts.append(f"{CONDITION_LABELS[payload['condition']]}: {holds}")
    if payload.get("decision_number"):
        parts.append(f"số quyết định {payload['decision_number']}")
    return " · ".join(parts)


def dossier_page(session: Session, user: User, now: dt.datetime, dossier: Dossier) -> DossierPage:
    procedure = procedure_of(dossier)
    unit = dossier.unit
    criteria_set = dossier.criteria_set
    indicators = criteria_set.indicators()
    assessments = {a.indicator_id: a for a in dossier.assessments}
    owners = owners_by_indicator(session, dossier)
    department_names = {
        d.id: d.name
        for d in session.scalars(select(Department).where(Department.id.in_({d for ds in owners.values() for d in ds})))
    }
    fallback_label = (
        f"{ROLE_LABELS[FALLBACK_APPRAISER[RecognitionLevel(dossier.level)]]} (chưa phân công phòng)"
        if RecognitionLevel(dossier.level) in FALLBACK_APPRAISER
        else "Chưa phân công phòng"
    )
    tasks = tasks_of(session, dossier)
    appraisal: dict[int, list[tuple[str, str, str | None]]] = {}
    for task in tasks:
        for item in task.items:
            appraisal.setdefault(item.indicator_id, []).append(
                (task.label, DECISION_LABELS.get(item.decision, item.decision or ""), item.reason)
            )
    criteria = [
        CriterionBlock(
            criterion=criterion,
            rows=[
                IndicatorRow(
                    indicator=indicator,
                    threshold=indicator.threshold_for(unit.region, unit.commune_group),
                    value=assessments[indicator.id].value if indicator.id in assessments else None,
                    met=assessments[indicator.id].met if indicator.id in assessments else None,
                    note=assessments[indicator.id].note if indicator.id in assessments else None,
                    owners=[department_names[d] for d in owners.get(indicator.id, [])] or [fallback_label],
                    appraisal=appraisal.get(indicator.id, []),
                )
                for indicator in criterion.indicators
            ],
        )
        for criterion in criteria_set.criteria
    ]
    confirmations = {
        c.condition: c
        for c in session.scalars(select(ConditionConfirmation).where(ConditionConfirmation.dossier_id == dossier.id))
    }
    events = [
        EventView(
            event=event,
            action=action_label(procedure, event.action),
            role=role_label(event.role),
            from_state=procedure.state_label(event.from_state) if event.from_state else "",
            to_state=procedure.state_label(event.to_state) if event.to_state else "",
            details=_event_details(event.payload or {}),
        )
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)
        )
    ]
    actions = available_actions(session, user, now, dossier)
    plain: list[ActionHint] = []
    if any(a in PLAIN_ACTIONS for a in actions):
        facts = build_facts(session, dossier, now).facts
        plain = [
            ActionHint(a, action_label(procedure, a), procedure.missing(dossier.state, a, facts))
            # giving up the dossier comes last, after the steps that move it on
            for a in sorted(actions, key=lambda a: a == "withdraw")
            if a in PLAIN_ACTIONS
        ]
    task_views = [_task_view(task) for task in tasks]
    answerable_ids = {t.id for t in answerable_tasks(session, user, now, dossier, tasks, actions)}
    return DossierPage(
        dossier=dossier,
        procedure=procedure,
        state_label=procedure.state_label(dossier.state),
        criteria=criteria,
        indicators=indicators,
        consultation=session.scalars(select(Consultation).where(Consultation.dossier_id == dossier.id)).first(),
        model_conditions=session.scalars(
            select(ModelConditions).where(ModelConditions.dossier_id == dossier.id)
        ).first(),
        conditions=[ConditionView(code, label, confirmations.get(code)) for code, label in CONDITION_LABELS.items()],
        tasks=task_views,
        supplements=supplement_requests(session, dossier),
        events=events,
        actions=actions,
        plain_actions=plain,
        answerable=[view for view in task_views if view.task.id in answerable_ids],
        confirmable=confirmable_conditions(session, user, now, dossier) if "confirm_condition" in actions else [],
        fallback_label=fallback_label,
    )


# --- registering a dossier from a unit page --------------------------------------------------------


@dataclass
class RegisterOptions:
    levels: list[tuple[str, str]]
    criteria_sets: list[CriteriaSet]
    year: int


def register_options(session: Session, user: User, now: dt.datetime, unit: Unit) -> RegisterOptions | None:
    """What the registration form offers on `unit`'s page, or None when the unit no longer exists or
    the user holds no seat that opens a dossier there (the procedures' `opened_by`; the service checks again)."""
    if not unit.is_valid_on(vietnam_today(now)):
        return None
    levels = [level for level in LEVELS_BY_KIND.get(unit.kind, ()) if (level, DossierKind.RECOGNITION) in PROCEDURES]
    grants: set[Grant] = set()
    for person in principals(session, user, now):
        grants |= seat_grants(person, unit_id=unit.id, authority_unit_id=None, decider_unit_id=None)
    levels = [level for level in levels if any(g in grants for g in procedure_for(level).definition.opened_by)]
    if not levels:
        return None
    values = {level.value for level in levels}
    sets = [
        s
        for s in session.scalars(select(CriteriaSet).order_by(CriteriaSet.code, CriteriaSet.version))
        if values & set(s.levels)
    ]
    return RegisterOptions(
        levels=[(level.value, RECOGNITION_LEVEL_LABELS[level]) for level in levels],
        criteria_sets=sets,
        year=vietnam_today(now).year,
    )


# --- "Việc của tôi" ---------------------------------------------------------------------------------


@dataclass
class ActionableDossier:
    dossier: Dossier
    state_label: str
    actions: list[tuple[str, str]]


@dataclass
class OpenTaskView:
    dossier: Dossier
    label: str
    opened_at: dt.datetime
    round: int
    indicator_codes: tuple[str, ...]


@dataclass
class MyWork:
    actionable: list[ActionableDossier]
    open_tasks: list[OpenTaskView]
    own_dossiers: list[Dossier]


def my_work(session: Session, user: User, now: dt.datetime) -> MyWork:
    """Dossiers the user can act on now, open appraisal tasks of their departments (and fallback seats),
    and the dossiers of their units."""
    people = principals(session, user, now)
    unit_ids = {a.unit_id for p in people for a in p.roles if a.unit_id is not None}
    department_ids = {
        a.department_id
        for p in people
        for a in p.roles
        if a.role == Role.DEPARTMENT_OFFICER and a.department_id is not None
    }
    authority_ids = {d.unit_id for d in session.scalars(select(Department).where(Department.id.in_(department_ids)))}
    # every seat a grant can come from (seat_grants, grants_of): a superset the services then narrow
    candidates = session.scalars(
        select(Dossier)
        .where(
            or_(
                Dossier.unit_id.in_(unit_ids),
                Dossier.authority_unit_id.in_(unit_ids | authority_ids),
                Dossier.decider_unit_id.in_(unit_ids),
            )
        )
        .order_by(Dossier.updated_at.desc(), Dossier.id)
    ).all()
    actionable = []
    for dossier in candidates:
        if dossier.state in FINAL_STATES:
            continue
        actions = available_actions(session, user, now, dossier)
        if not actions:
            continue
        if APPRAISAL_ACTIONS & set(actions) and not answerable_tasks(
            session, user, now, dossier, tasks_of(session, dossier), actions
        ):
            actions = [a for a in actions if a not in APPRAISAL_ACTIONS]
        if actions:
            procedure = procedure_of(dossier)
            actionable.append(
                ActionableDossier(
                    dossier, procedure.state_label(dossier.state), [(a, action_label(procedure, a)) for a in actions]
                )
            )

    found = open_appraisal_tasks(session, department_ids=department_ids) if department_ids else []
    seats = {
        (a.unit_id, Role(a.role))
        for p in people
        for a in p.roles
        if a.unit_id is not None and Role(a.role) in set(FALLBACK_APPRAISER.values())
    }
    for unit_id, role in sorted(seats):
        found.extend(
            t
            for t in open_appraisal_tasks(session, authority_unit_id=unit_id)
            if t.department_id is None and t.fallback_role == role
        )
    dossiers = {d.id: d for d in session.scalars(select(Dossier).where(Dossier.id.in_({t.dossier_id for t in found})))}
    labels = {
        t.id: t.label
        for t in session.scalars(select(AppraisalTask).where(AppraisalTask.id.in_({t.task_id for t in found})))
    }
    open_tasks = [
        OpenTaskView(dossiers[t.dossier_id], labels[t.task_id], t.opened_at, t.round, t.indicator_codes)
        for t in sorted(found, key=lambda t: (t.opened_at, t.task_id))
    ]

    own = sorted(
        (d for d in candidates if may_view(session, user, now, d, people)), key=lambda d: (-d.year, d.unit.name, d.id)
    )
    return MyWork(actionable=actionable, open_tasks=open_tasks, own_dossiers=own)
