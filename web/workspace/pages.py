"""What the workspace pages show, read from the database: the dossier page and "Việc của tôi".

Only reads. Which actions a person may take, which appraisal task they answer and which condition
they confirm are `workflow.permissions`' answers, over values `dossiers.access` loads; the page
asks, never re-derives. Every list is a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from dossiers.access import load_actor, pending_task_seats, seats_for
from dossiers.commands import PLAIN_COMMANDS
from dossiers.context import DossierContext
from dossiers.models import (
    AppraisalTask,
    AuditEvent,
    ConditionConfirmation,
    Consultation,
    CriteriaSet,
    Criterion,
    Department,
    Dossier,
    Evidence,
    Indicator,
    ModelConditions,
    SmartHamletModel,
    SupplementItem,
    SupplementRequest,
    Unit,
    User,
)
from dossiers.models.appraisal import APPROVED, RETURNED
from dossiers.planning.obligations import reports_owed
from dossiers.procedure_facts import open_appraisal_tasks, procedure_of
from dossiers.regimes import rules_for_many, set_terms, with_province
from web.messages import action_label
from workflow import permissions
from workflow.actions import APPRAISAL_ACTIONS, STANDING_ACTIONS, Action
from workflow.calendar import local_date
from workflow.deadlines import default_rule
from workflow.diagram import edges
from workflow.engine import Party, Procedure
from workflow.measures import MEASURE_LABELS, met_label, verdict
from workflow.procedures import FALLBACK_APPRAISER, PROCEDURES, UnknownProcedure, fallback_appraiser, procedure_for
from workflow.regimes import regime_for
from workflow.routes import (
    COMMUNE_LEVELS,
    DISTRICT_LEVELS,
    DISTRICT_TOWN_LEVELS,
    HAMLET_LEVELS,
    TOWN_LEVELS,
    route_code,
)
from workflow.rules import CONDITION_LABELS
from workflow.vocabulary import (
    RECOGNITION_LEVEL_LABELS,
    ROLE_LABELS,
    UNIT_KIND_LABELS,
    DossierKind,
    Measure,
    RecognitionLevel,
    Role,
    UnitKind,
)

#: actions that open a dossier: they are not in any procedure's list of actions
FORM_ANCHORS: dict[str, str] = {
    Action.RECORD_ASSESSMENT: "ghi-danh-gia",
    Action.ATTACH_EVIDENCE: "minh-chung",
    Action.RECORD_POSTING: "form-posting",
    Action.RECORD_SURVEY: "form-survey",
    Action.RECORD_VOTE: "form-vote",
    Action.RECORD_ANNOUNCEMENT: "form-announcement",
    Action.RECORD_MODEL_CONDITIONS: "form-model",
    Action.CONFIRM_CONDITION: "form-condition",
    Action.APPROVE_INDICATORS: "tham-tra",
    Action.RETURN_INDICATORS: "tham-tra",
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
    UnitKind.TOWN: TOWN_LEVELS,
    UnitKind.DISTRICT_TOWN: DISTRICT_TOWN_LEVELS,
}


def state_label(dossier: Dossier) -> str:
    try:
        return procedure_of(dossier).state_label(dossier.state)
    except UnknownProcedure:
        return dossier.state


def role_label(role: str | None) -> str:
    if role is None or role == Party.SYSTEM.value:
        return "Hệ thống"
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


# --- the dossier page ------------------------------------------------------------------------------

#: what the value field of a measure takes
VALUE_HINTS: dict[Measure, str] = {
    Measure.YES_NO: "Có / Không",
    Measure.PERCENTAGE: "0–100 %",
    Measure.NUMBER: "số nguyên",
    Measure.MONEY: "số tiền",
    Measure.TEXT: "câu trả lời",
}


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
    #: the engine's "met" from the value and the unit's threshold; None: stays the commune's judgement
    measured: bool | None = None

    @property
    def measure_label(self) -> str:
        label = MEASURE_LABELS[Measure(self.indicator.measure)]
        unit = self.indicator.unit_of_measure
        return f"{label}, {unit}" if unit and unit != "%" else label

    @property
    def hint(self) -> str:
        """What the value field takes, in the measure's type."""
        measure = Measure(self.indicator.measure)
        if measure is Measure.TEXT and self.indicator.answers:
            return " / ".join(self.indicator.answers)
        return VALUE_HINTS[measure]

    @property
    def disagrees(self) -> bool:
        """The commune's own judgement differs from what the engine computed."""
        return self.measured is not None and self.met is not None and self.met != self.measured

    @property
    def measured_label(self) -> str:
        return met_label(self.measured)


@dataclass
class CriterionBlock:
    criterion: Criterion
    rows: list[IndicatorRow]

    @property
    def met(self) -> bool:
        """The commune counts a criterion as met when every one of its indicators is."""
        return bool(self.rows) and all(row.met for row in self.rows)

    @property
    def assessed(self) -> int:
        return sum(1 for row in self.rows if row.met is not None)


@dataclass
class DiagramState:
    """One state of the procedure on the dossier page's diagram, with where its actions lead."""

    name: str
    label: str
    final: bool
    current: bool
    #: (action label, destination label) of the transitions that leave the state
    leads_to: list[tuple[str, str]]
    #: labels of the actions taken without leaving the state
    internal: list[str]


def procedure_diagram(procedure: Procedure, current: str) -> list[DiagramState]:
    """The procedure the engine runs (its compiled machine), state by state, with `current` marked."""
    found = {
        s.name: DiagramState(s.name, s.label, s.final, s.name == current, [], []) for s in procedure.definition.states
    }
    for source, action, dest in edges(procedure):
        state = found.get(source)
        if state is None:
            continue
        label = action_label(procedure, action)
        if dest == source:
            if label not in state.internal:
                state.internal.append(label)
        else:
            state.leads_to.append((label, procedure.state_label(dest)))
    return list(found.values())


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
    #: the regime the dossier was registered under, in words
    regime: str
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
    #: indicator code → the files sent for it
    evidence_by_code: dict[str, list[Evidence]] = field(default_factory=dict)
    #: indicator code → why it was returned, while the supplement request is open
    to_fix: dict[str, list[str]] = field(default_factory=dict)
    diagram: list[DiagramState] = field(default_factory=list)
    condition_labels: dict[str, str] = field(default_factory=lambda: dict(CONDITION_LABELS))
    #: kiểu mẫu: the smart-hamlet models named (hamlet, product sold online, where), and the commune's hamlets
    smart_hamlets: list[SmartHamletModel] = field(default_factory=list)
    hamlet_choices: list[Unit] = field(default_factory=list)

    @property
    def criteria_met(self) -> int:
        return sum(1 for block in self.criteria if block.met)

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


def _assessed(values: dict[str, Any]) -> str:
    if not values or values.get("met") is None:
        return "chưa đánh giá"
    verdict = "đạt" if values["met"] else "chưa đạt"
    return f"{values['value']} ({verdict})" if values.get("value") else verdict


def _event_details(payload: dict[str, Any]) -> str:
    parts = []
    if payload.get("indicator"):
        parts.append(f"chỉ tiêu {payload['indicator']}")
    for change in payload.get("changes") or []:
        old, new = change.get("old") or {}, change.get("new") or {}
        parts.append(f"{change.get('indicator')}: {_assessed(old)} → {_assessed(new)}")
    if payload.get("changes"):
        return " · ".join(parts)
    if payload.get("indicators"):
        parts.append(f"chỉ tiêu {', '.join(map(str, payload['indicators']))}")
    if payload.get("reasons"):
        parts.append("; ".join(f"{code}: {reason}" for code, reason in payload["reasons"].items()))
    if payload.get("condition") in CONDITION_LABELS:
        holds = "đạt" if payload.get("holds") else "không đạt"
        parts.append(f"{CONDITION_LABELS[payload['condition']]}: {holds}")
    if payload.get("decision_number"):
        parts.append(f"số quyết định {payload['decision_number']}")
    if payload.get("smart_hamlets"):
        named = (f"thôn {s.get('hamlet')}: {s.get('product')} ({s.get('sold_on')})" for s in payload["smart_hamlets"])
        parts.append("mô hình thôn thông minh: " + "; ".join(named))
    parts.extend(_entered(payload))
    return " · ".join(parts)


def _day(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _entered(payload: dict[str, Any]) -> list[str]:
    """The values a person typed into a consultation, survey, vote or decision form, as the log shows them."""
    parts = []
    if "start" in payload and "end" in payload:
        parts.append(f"từ {_day(payload['start'])} đến {_day(payload['end'])}")
    if "announcements" in payload:
        parts.append(f"{payload['announcements']} lần thông báo")
    if "reached" in payload and "satisfied" in payload:
        parts.append(
            f"{payload['total']} hộ, {payload['reached']} hộ được hỏi ý kiến, {payload['satisfied']} hộ hài lòng"
        )
    if "in_favour" in payload:
        parts.append(f"{payload['in_favour']}/{payload['total']} phiếu đồng ý")
    if "income_per_capita" in payload:
        parts.append(f"thu nhập bình quân {payload['income_per_capita']:,} đồng/người/năm".replace(",", "."))
    if payload.get("decided_on"):
        parts.append(f"ký ngày {_day(payload['decided_on'])}")
    if payload.get("name") and payload.get("sha256"):
        parts.append(f"tệp «{payload['name']}»")
    return parts


def _to_fix(supplements: Sequence[SupplementRequest]) -> dict[str, list[str]]:
    """Indicators returned by a supplement request not yet answered, with every reason given."""
    found: dict[str, list[str]] = {}
    for request in supplements:
        if request.resolved_at is None:
            for item in request.items:
                found.setdefault(item.indicator.code, []).append(item.reason)
    return found


def dossier_page(context: DossierContext) -> DossierPage:
    """Everything the dossier page shows, in a fixed number of queries."""
    session, dossier, actor = context.session, context.dossier, context.actor
    procedure = context.procedure
    unit = dossier.unit
    criteria_set = dossier.criteria_set
    criteria_rows = list(
        session.scalars(
            select(Criterion)
            .where(Criterion.criteria_set_id == criteria_set.id)
            .order_by(Criterion.number)
            .options(selectinload(Criterion.indicators))
        )
    )
    indicators = [indicator for criterion in criteria_rows for indicator in criterion.indicators]
    context.use_criteria(criteria_rows)
    assessments = context.assessments
    owners = context.owners
    department_names = {
        d.id: d.name
        for d in session.scalars(select(Department).where(Department.id.in_({d for ds in owners.values() for d in ds})))
    }
    fallback_label = (
        f"{ROLE_LABELS[fallback_appraiser(context.procedure, dossier.level)]} (chưa phân công phòng)"
        if RecognitionLevel(dossier.level) in FALLBACK_APPRAISER or context.procedure.definition.fallback_appraiser
        else "Chưa phân công phòng"
    )
    tasks = context.tasks
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
                    threshold=indicator.threshold_for(unit.region, unit.commune_group, dossier.year),
                    measured=verdict(
                        indicator.measure,
                        indicator.thresholds or {},
                        assessments[indicator.id].value if indicator.id in assessments else None,
                        answers=indicator.answers or (),
                        region=unit.region,
                        commune_group=unit.commune_group,
                        year=dossier.year,
                    ),
                    value=assessments[indicator.id].value if indicator.id in assessments else None,
                    met=assessments[indicator.id].met if indicator.id in assessments else None,
                    note=assessments[indicator.id].note if indicator.id in assessments else None,
                    owners=[department_names[d] for d in owners.get(indicator.id, [])] or [fallback_label],
                    appraisal=appraisal.get(indicator.id, []),
                )
                for indicator in criterion.indicators
            ],
        )
        for criterion in criteria_rows
    ]
    confirmations = context.confirmations
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
            select(AuditEvent)
            .where(AuditEvent.dossier_id == dossier.id)
            .order_by(AuditEvent.id)
            .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.on_behalf_of))
        )
    ]
    # the page's evidence list, with who sent each file and for which indicator, in one query
    evidence = session.scalars(
        select(Evidence)
        .where(Evidence.dossier_id == dossier.id)
        .order_by(Evidence.id)
        .options(joinedload(Evidence.uploaded_by), joinedload(Evidence.indicator))
    ).all()
    set_committed_value(dossier, "evidence", list(evidence))
    actions = list(permissions.allowed_actions(procedure, dossier.state, actor, context.view_seats, context.rules))
    confirmable = (
        permissions.confirmable_conditions(actor, context.view_seats.confirming_unit_id, context.rules, dossier.level)
        if Action.CONFIRM_CONDITION in actions
        else []
    )
    if not confirmable and Action.CONFIRM_CONDITION in actions:
        actions.remove(Action.CONFIRM_CONDITION)  # nothing this person confirms for this level here
    plain: list[ActionHint] = []
    if any(a in PLAIN_COMMANDS for a in actions):
        facts = context.facts()
        plain = [
            ActionHint(a, action_label(procedure, a), procedure.missing(dossier.state, a, facts, context.rules))
            # giving up the dossier comes last, after the steps that move it on
            for a in sorted(actions, key=lambda a: a == Action.WITHDRAW)
            if a in PLAIN_COMMANDS
        ]
    evidence_by_code: dict[str, list[Evidence]] = {}
    for file in evidence:
        if file.indicator is not None:
            evidence_by_code.setdefault(file.indicator.code, []).append(file)
    task_views = [_task_view(task) for task in tasks]
    answerable_ids = {
        t.task_id
        for t in permissions.answerable_tasks(actor, context.view_seats, context.task_seats, actions, context.rules)
    }
    if not any(view.pending for view in task_views if view.task.id in answerable_ids):
        # nothing left for this person to approve or return: the page offers neither
        actions = [a for a in actions if a not in APPRAISAL_ACTIONS]
    supplements = (
        session.scalars(
            select(SupplementRequest)
            .where(SupplementRequest.dossier_id == dossier.id)
            .order_by(SupplementRequest.round)
            .options(
                joinedload(SupplementRequest.items).options(
                    joinedload(SupplementItem.indicator), joinedload(SupplementItem.department)
                )
            )
        )
        .unique()
        .all()
    )
    return DossierPage(
        dossier=dossier,
        procedure=procedure,
        state_label=procedure.state_label(dossier.state),
        regime=context.regime.title,
        criteria=criteria,
        indicators=indicators,
        consultation=context.consultation,
        model_conditions=context.model_conditions if Action.RECORD_MODEL_CONDITIONS in procedure.actions else None,
        conditions=[
            ConditionView(code, CONDITION_LABELS[code], confirmations.get(code))
            for code in context.rules.conditions_for(dossier.level)
        ],
        tasks=task_views,
        supplements=list(supplements),
        events=events,
        actions=actions,
        plain_actions=plain,
        answerable=[view for view in task_views if view.task.id in answerable_ids],
        confirmable=confirmable,
        fallback_label=fallback_label,
        evidence_by_code=evidence_by_code,
        to_fix=_to_fix(supplements),
        diagram=procedure_diagram(procedure, dossier.state),
        **_smart_hamlets(session, dossier, context.today, procedure),
    )


def _smart_hamlets(session: Session, dossier: Dossier, today: dt.date, procedure: Procedure) -> dict[str, Any]:
    """Kiểu mẫu only: the models named, and the hamlets of the commune in force today (two queries)."""
    if Action.RECORD_MODEL_CONDITIONS not in procedure.actions:
        return {}
    named = session.scalars(
        select(SmartHamletModel)
        .where(SmartHamletModel.dossier_id == dossier.id)
        .options(joinedload(SmartHamletModel.hamlet))
        .order_by(SmartHamletModel.id)
    ).all()
    hamlets = session.scalars(
        select(Unit).where(Unit.parent_id == dossier.unit_id, Unit.kind == UnitKind.HAMLET).order_by(Unit.name)
    ).all()
    return {"smart_hamlets": list(named), "hamlet_choices": [h for h in hamlets if h.is_valid_on(today)]}


# --- registering a dossier from a unit page --------------------------------------------------------


@dataclass
class RegisterOptions:
    levels: list[tuple[str, str]]
    criteria_sets: list[CriteriaSet]
    year: int
    #: the regime registrations fall under today, in words ("giai đoạn 2026-2030 (QĐ 51/2025/QĐ-TTg, …)")
    regime: str


def register_options(session: Session, user: User, now: dt.datetime, unit: Unit) -> RegisterOptions | None:
    """What the registration form offers on `unit`'s page, or None when the unit no longer exists or
    the user holds no seat that opens a dossier there (the procedures' `opened_by`; the handler checks again)."""
    today = local_date(now)
    if not unit.is_valid_on(today):
        return None
    regime = with_province(regime_for(today), unit, today.year)
    levels = [
        level
        for level in LEVELS_BY_KIND.get(unit.kind, ())
        if (level, DossierKind.RECOGNITION) in PROCEDURES and regime.offer(level) is not None
    ]
    actor = load_actor(session, user, now)
    grants = {
        g
        for person in actor.principals
        for g in permissions.seat_grants(
            person, unit_id=unit.id, authority_unit_id=None, decider_unit_id=None, superior_unit_id=unit.parent_id
        )
    }
    # the procedure of the route the province's rules choose today (a hamlet its commune registers: seed 000)
    levels = [
        level
        for level in levels
        if any(
            g in grants
            for g in procedure_for(
                level, DossierKind.RECOGNITION, route_code(level, today, regime.routes)
            ).definition.opened_by
        )
    ]
    if not levels:
        return None
    # only the sets the regime in force accepts today for one of the levels, its own national sets first
    # 1/1-14/2/2026: still the 2021-2025 regime, whose last year is the one to offer
    year = min(max(today.year, regime.first_year), regime.last_year)
    every = session.scalars(select(CriteriaSet).order_by(CriteriaSet.code, CriteriaSet.version.desc())).all()
    terms = {s.id: set_terms(s) for s in every}
    usable = [s for s in every if any(regime.accepts(terms[s.id], level, year, today) for level in levels)]
    usable.sort(key=lambda s: regime.offer_order(terms[s.id]))
    return RegisterOptions(
        levels=[(level.value, RECOGNITION_LEVEL_LABELS[level]) for level in levels],
        criteria_sets=usable,
        year=year,
        regime=regime.title,
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
class DueReport:
    """A periodic report the person's unit or department still owes, due within `REPORTS_AHEAD` or late."""

    title: str
    period_label: str
    obligor_name: str
    last_day: dt.date
    late: bool
    year: int


#: how far ahead "Việc của tôi" lists the reports still to send
REPORTS_AHEAD = dt.timedelta(days=31)


@dataclass
class MyWork:
    actionable: list[ActionableDossier]
    open_tasks: list[OpenTaskView]
    own_dossiers: list[Dossier]
    due_reports: list[DueReport] = field(default_factory=list)


def my_work(session: Session, user: User, now: dt.datetime) -> MyWork:
    """Dossiers the user can act on now, open appraisal tasks of their departments (and fallback seats),
    and the dossiers of their units: a fixed number of queries, whatever the number of dossiers."""
    actor = load_actor(session, user, now)
    unit_ids = set(actor.unit_ids())
    department_ids = set(actor.department_ids())
    authority_ids = {
        h.department_unit_id for p in actor.principals for h in p.holdings if h.department_unit_id is not None
    }
    # every seat a grant can come from: a superset that "who may" then narrows
    candidates = session.scalars(
        select(Dossier)
        .where(
            or_(
                Dossier.unit_id.in_(unit_ids),
                Dossier.authority_unit_id.in_(unit_ids | authority_ids),
                # a hamlet's conditions are confirmed by its decider's departments (Rules.condition_seat)
                Dossier.decider_unit_id.in_(unit_ids | authority_ids),
                # a hamlet its commune registers and submits (Party.SUPERIOR, route "hamlet-via-district")
                Dossier.unit_id.in_(select(Unit.id).where(Unit.parent_id.in_(unit_ids), Unit.kind == UnitKind.HAMLET)),
            )
        )
        .order_by(Dossier.updated_at.desc(), Dossier.id)
        .options(joinedload(Dossier.unit))
    ).all()
    live = [d for d in candidates if d.state not in FINAL_STATES]
    rules = rules_for_many(session, live)
    seats = seats_for(session, candidates, rules)
    allowed = {
        d.id: permissions.allowed_actions(procedure_of(d), d.state, actor, seats[d.id], rules[d.id]) for d in live
    }
    appraising = [d.id for d in live if APPRAISAL_ACTIONS & set(allowed[d.id])]
    tasks = pending_task_seats(session, appraising)
    actionable = []
    for dossier in live:
        actions = list(allowed[dossier.id])
        if Action.CONFIRM_CONDITION in actions and not permissions.confirmable_conditions(
            actor, seats[dossier.id].confirming_unit_id, rules[dossier.id], dossier.level
        ):
            actions.remove(Action.CONFIRM_CONDITION)  # nothing this person confirms for this level here
        if APPRAISAL_ACTIONS & set(actions) and not permissions.answerable_tasks(
            actor, seats[dossier.id], tasks.get(dossier.id, []), actions, rules[dossier.id]
        ):
            actions = [a for a in actions if a not in APPRAISAL_ACTIONS]
        actions = [a for a in actions if a not in STANDING_ACTIONS]  # a right at every step, not work waiting
        if actions:
            procedure = procedure_of(dossier)
            actionable.append(
                ActionableDossier(
                    dossier, procedure.state_label(dossier.state), [(a, action_label(procedure, a)) for a in actions]
                )
            )

    fallback_seats = {
        (h.unit_id, h.role)
        for p in actor.principals
        for h in p.holdings
        if h.unit_id is not None and h.role in set(FALLBACK_APPRAISER.values())
    }
    found = (
        open_appraisal_tasks(session, department_ids=department_ids, fallback_seats=fallback_seats)
        if department_ids or fallback_seats
        else []
    )
    dossiers = {
        d.id: d
        for d in session.scalars(
            select(Dossier).where(Dossier.id.in_({t.dossier_id for t in found})).options(joinedload(Dossier.unit))
        )
    }
    open_tasks = [
        OpenTaskView(dossiers[t.dossier_id], t.label, t.opened_at, t.round, t.indicator_codes)
        for t in sorted(found, key=lambda t: (t.opened_at, t.task_id))
    ]

    own = sorted(
        (d for d in candidates if permissions.may_view(actor, seats[d.id])), key=lambda d: (-d.year, d.unit.name, d.id)
    )
    return MyWork(
        actionable=actionable, open_tasks=open_tasks, own_dossiers=own, due_reports=_due_reports(session, actor, now)
    )


def _due_reports(session: Session, actor: permissions.Actor, now: dt.datetime) -> list[DueReport]:
    """The reports the person writes (`permissions.may_report`: their units' and departments') that are late or
    due within `REPORTS_AHEAD`, from the stored obligations: one query."""
    holdings = [h for p in actor.principals for h in p.holdings]
    unit_ids = {h.unit_id for h in holdings if h.unit_id is not None and h.role in permissions.REPORTING_ROLES}
    department_ids = {
        h.department_id for h in holdings if h.department_id is not None and h.role == Role.DEPARTMENT_OFFICER
    }
    today = local_date(now)
    rows = reports_owed(session, unit_ids=unit_ids, department_ids=department_ids, until=today + REPORTS_AHEAD)
    return [
        DueReport(
            title=default_rule(r.rule_code).title,
            period_label=r.period_label,
            obligor_name=(
                f"{UNIT_KIND_LABELS.get(UnitKind(unit.kind), '')} {unit.name}"
                if unit is not None
                else department.name
                if department is not None
                else ""
            ),
            last_day=r.last_day,
            late=r.last_day < today,
            year=r.year,
        )
        for r, unit, department in rows
    ]
