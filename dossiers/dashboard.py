"""The progress of an area in a year, as the coordination office and the chairman watch it: the matrix
communes × criteria, criteria met per commune and their average, dossiers by state, and the decisions
waiting for a chairman with a summary of their appraisal.

Only reads, in a fixed number of queries whatever the number of communes and dossiers (one per level
of the unit tree, then one per kind of row). The deadlines of the area are `notifications.dashboard`,
which adds them to these figures: the page, the .xlsx export and the API read that one function.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from dossiers.access import descendant_ids
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    Assessment,
    ConditionConfirmation,
    Consultation,
    Criterion,
    Department,
    Dossier,
    Plan,
    Unit,
)
from dossiers.models.appraisal import APPROVED, RETURNED, task_label
from workflow.engine import Grant, Party
from workflow.procedures import PROCEDURES, UnknownProcedure, procedure_for
from workflow.rules import CONDITION_LABELS, Sourced
from workflow.vocabulary import (
    DOSSIER_KIND_LABELS,
    RECOGNITION_LEVEL_LABELS,
    UNIT_KIND_LABELS,
    Confidence,
    DossierKind,
    RecognitionLevel,
    Role,
    UnitKind,
)

#: the kinds of unit an area is made of: a dashboard is the area of a district or of a province
AREA_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT)
#: the levels the matrix can show: the commune levels, each against its own criteria set
MATRIX_LEVELS = (RecognitionLevel.COMMUNE_NTM, RecognitionLevel.COMMUNE_ADVANCED, RecognitionLevel.COMMUNE_MODEL)

#: the chairman's seat: whoever holds it decides a dossier waiting in a state where it may act
DECIDER = Grant(Role.APPROVER, Party.DECIDER)


class CriterionStatus(StrEnum):
    """Where a commune stands on one criterion in its dossier of the year."""

    MET = "met"
    UNDER_APPRAISAL = "under_appraisal"
    NOT_MET = "not_met"
    NOT_ASSESSED = "not_assessed"


STATUS_LABELS: dict[CriterionStatus, str] = {
    CriterionStatus.MET: "Đạt",
    CriterionStatus.UNDER_APPRAISAL: "Đang thẩm tra",
    CriterionStatus.NOT_MET: "Chưa đạt",
    CriterionStatus.NOT_ASSESSED: "Chưa đánh giá",
}
#: one letter each, for the matrix cells and the export (the legend spells them out)
STATUS_SHORT: dict[CriterionStatus, str] = {
    CriterionStatus.MET: "Đ",
    CriterionStatus.UNDER_APPRAISAL: "T",
    CriterionStatus.NOT_MET: "K",
    CriterionStatus.NOT_ASSESSED: "?",
}


def level_label(level: str) -> str:
    try:
        return RECOGNITION_LEVEL_LABELS[RecognitionLevel(level)]
    except ValueError:
        return level


def state_label(level: str, kind: str, state: str) -> str:
    try:
        return procedure_for(level, kind).state_label(state)
    except UnknownProcedure:
        return state


# --- the figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionColumn:
    number: int
    name: str


@dataclass
class CommuneRow:
    """One commune of the area: its dossier of the year at the chosen level, if any, and each criterion."""

    unit: Unit
    dossier: Dossier | None
    state_label: str
    statuses: dict[int, CriterionStatus]

    @property
    def criteria_total(self) -> int:
        return len(self.statuses)

    def count(self, status: CriterionStatus) -> int:
        return sum(1 for s in self.statuses.values() if s == status)

    @property
    def criteria_met(self) -> int | None:
        """Criteria met; None without a dossier (nothing is known of the commune this year)."""
        return self.count(CriterionStatus.MET) if self.dossier is not None else None


@dataclass(frozen=True)
class StateCount:
    level: str
    kind: str
    level_label: str
    state: str
    state_label: str
    count: int


@dataclass(frozen=True)
class TaskSummary:
    label: str
    approved: int
    returned: int
    pending: int
    round: int


@dataclass(frozen=True)
class DecisionSummary:
    """A dossier waiting for a chairman's decision, on one screen: criteria, appraisal, conditions, consultation."""

    dossier: Dossier
    level_label: str
    state_label: str
    decider_name: str
    criteria_met: int
    criteria_total: int
    tasks: tuple[TaskSummary, ...]
    #: (condition label, holds, department name)
    conditions: tuple[tuple[str, bool | None, str], ...]
    households_total: int | None
    households_reached: int | None
    households_satisfied: int | None
    votes_total: int | None
    votes_in_favour: int | None

    @property
    def satisfaction(self) -> float | None:
        if not self.households_reached or self.households_satisfied is None:
            return None
        return self.households_satisfied / self.households_reached

    @property
    def vote_share(self) -> float | None:
        if not self.votes_total or self.votes_in_favour is None:
            return None
        return self.votes_in_favour / self.votes_total

    @property
    def indicators_approved(self) -> int:
        return sum(t.approved for t in self.tasks)

    @property
    def indicators_returned(self) -> int:
        return sum(t.returned for t in self.tasks)


@dataclass
class Progress:
    area: Unit
    year: int
    level: RecognitionLevel
    columns: list[CriterionColumn]
    rows: list[CommuneRow]
    by_state: list[StateCount]
    awaiting_decision: list[DecisionSummary]
    target: Sourced[float] | None = None
    #: criterion number → how many communes stand at each status
    column_counts: dict[int, Counter[CriterionStatus]] = field(default_factory=dict)

    @property
    def communes(self) -> int:
        return len(self.rows)

    @property
    def rows_with_dossier(self) -> list[CommuneRow]:
        return [row for row in self.rows if row.dossier is not None]

    @property
    def criteria_met_total(self) -> int:
        return sum(row.criteria_met or 0 for row in self.rows)

    @property
    def average_met(self) -> float | None:
        """Criteria met per commune, over the communes with a dossier this year (the others are unknown)."""
        rows = self.rows_with_dossier
        return self.criteria_met_total / len(rows) if rows else None

    @property
    def dossiers_total(self) -> int:
        return sum(c.count for c in self.by_state)

    def met_in_column(self, number: int) -> int:
        """Communes meeting criterion `number`."""
        return self.column_counts.get(number, Counter())[CriterionStatus.MET]

    def status_total(self, status: CriterionStatus) -> int:
        return sum(row.count(status) for row in self.rows)


# --- reading -----------------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def area_communes(session: Session, area: Unit, year: int) -> tuple[set[int], list[Unit]]:
    """Every unit of the area (at any date), and its communes that existed on some day of `year`, by name."""
    inside = descendant_ids(session, area.id)
    first, last = year_bounds(year)
    communes = session.scalars(
        select(Unit)
        .where(
            Unit.id.in_(inside),
            Unit.kind == UnitKind.COMMUNE,
            or_(Unit.valid_from.is_(None), Unit.valid_from <= last),
            or_(Unit.valid_to.is_(None), Unit.valid_to >= first),
        )
        .order_by(Unit.name, Unit.id)
    ).all()
    return inside, list(communes)


def criterion_statuses(
    session: Session, dossiers: Collection[Dossier], criteria: dict[int, list[Criterion]] | None = None
) -> dict[int, dict[int, CriterionStatus]]:
    """dossier id → criterion number → status, in three queries for any number of dossiers.

    A criterion is met when every indicator was assessed met and no department returned one or still
    has one waiting; not met when an indicator was assessed not met or returned; under appraisal when a
    department still has one waiting; otherwise (an indicator not assessed yet) not assessed."""
    if not dossiers:
        return {}
    if criteria is None:
        criteria = criteria_of(session, {d.criteria_set_id for d in dossiers})
    ids = [d.id for d in dossiers]
    assessed: dict[int, dict[int, bool | None]] = defaultdict(dict)
    for dossier_id, indicator_id, met in session.execute(
        select(Assessment.dossier_id, Assessment.indicator_id, Assessment.met).where(Assessment.dossier_id.in_(ids))
    ):
        assessed[dossier_id][indicator_id] = met
    decisions: dict[int, dict[int, set[str | None]]] = defaultdict(lambda: defaultdict(set))
    for dossier_id, indicator_id, decision in session.execute(
        select(AppraisalTask.dossier_id, AppraisalItem.indicator_id, AppraisalItem.decision)
        .join(AppraisalItem, AppraisalItem.task_id == AppraisalTask.id)
        .where(AppraisalTask.dossier_id.in_(ids))
    ):
        decisions[dossier_id][indicator_id].add(decision)
    found: dict[int, dict[int, CriterionStatus]] = {}
    for dossier in dossiers:
        own, answers = assessed.get(dossier.id, {}), decisions.get(dossier.id, {})
        statuses = {}
        for criterion in criteria.get(dossier.criteria_set_id, []):
            marks = [
                _indicator_status(own.get(indicator.id), answers.get(indicator.id, set()))
                for indicator in criterion.indicators
            ]
            statuses[criterion.number] = _worst(marks)
        found[dossier.id] = statuses
    return found


def _indicator_status(met: bool | None, decisions: set[str | None]) -> CriterionStatus:
    if met is False or RETURNED in decisions:
        return CriterionStatus.NOT_MET
    if met is None:
        return CriterionStatus.NOT_ASSESSED
    if None in decisions:
        return CriterionStatus.UNDER_APPRAISAL
    return CriterionStatus.MET


_SEVERITY = (
    CriterionStatus.NOT_MET,
    CriterionStatus.NOT_ASSESSED,
    CriterionStatus.UNDER_APPRAISAL,
    CriterionStatus.MET,
)


def _worst(marks: Iterable[CriterionStatus]) -> CriterionStatus:
    present = set(marks)
    # a criterion without indicators has nothing to meet: it cannot be counted met
    return next((s for s in _SEVERITY if s in present), CriterionStatus.NOT_ASSESSED)


def criteria_of(session: Session, set_ids: Collection[int]) -> dict[int, list[Criterion]]:
    """criteria set id → its criteria (with indicators), by number: two queries."""
    found: dict[int, list[Criterion]] = defaultdict(list)
    for criterion in session.scalars(
        select(Criterion)
        .where(Criterion.criteria_set_id.in_(list(set_ids)))
        .order_by(Criterion.criteria_set_id, Criterion.number)
        .options(selectinload(Criterion.indicators))
    ):
        found[criterion.criteria_set_id].append(criterion)
    return found


def deciding_states() -> dict[tuple[str, str], frozenset[str]]:
    """(level, kind) → the states in which the chairman's seat may act: a decision is waiting there."""
    return {
        key: frozenset(s for s in procedure.states if procedure.allowed_actions(s, [DECIDER]))
        for key, procedure in PROCEDURES.items()
    }


def progress(
    session: Session, area: Unit, year: int, level: RecognitionLevel = RecognitionLevel.COMMUNE_NTM
) -> Progress:
    """The figures of `area` (a province or a district) for `year`, the matrix at `level`."""
    inside, communes = area_communes(session, area, year)
    commune_ids = [u.id for u in communes]
    dossiers = session.scalars(
        select(Dossier)
        .where(
            Dossier.unit_id.in_(commune_ids),
            Dossier.year == year,
            Dossier.level == level,
            Dossier.kind == DossierKind.RECOGNITION,
        )
        .order_by(Dossier.id)
    ).all()
    by_unit = {d.unit_id: d for d in dossiers}
    waiting = _waiting_for_decision(session, inside, year)
    shown = {d.id: d for d in [*dossiers, *waiting]}
    criteria = criteria_of(session, {d.criteria_set_id for d in shown.values()}) if shown else {}
    statuses = criterion_statuses(session, list(shown.values()), criteria)
    columns = _columns(criteria, [d.criteria_set_id for d in dossiers])
    rows = [
        CommuneRow(
            unit=unit,
            dossier=by_unit.get(unit.id),
            state_label=(
                state_label(by_unit[unit.id].level, by_unit[unit.id].kind, by_unit[unit.id].state)
                if unit.id in by_unit
                else f"Chưa có hồ sơ năm {year}"
            ),
            statuses=statuses.get(by_unit[unit.id].id, {}) if unit.id in by_unit else {},
        )
        for unit in communes
    ]
    column_counts = {
        c.number: Counter(row.statuses[c.number] for row in rows if c.number in row.statuses) for c in columns
    }
    return Progress(
        area=area,
        year=year,
        level=level,
        columns=columns,
        rows=rows,
        by_state=_by_state(session, inside, year),
        awaiting_decision=_summaries(session, waiting, statuses),
        target=average_target(session, area, year),
        column_counts=column_counts,
    )


def average_target(session: Session, area: Unit, year: int) -> Sourced[float] | None:
    """The average number of criteria met per commune the area's own plan of `year` aims at (the plan is
    data: `dossiers.planning.plans`, e.g. seed 004's 15,1 for huyện Thạch An in 2025). One query."""
    plan = session.scalars(
        select(Plan).where(Plan.unit_id == area.id, Plan.year == year, Plan.average_criteria.is_not(None))
    ).first()
    if plan is None or plan.average_criteria is None:
        return None
    source = f"{plan.title} ({plan.reference}); {plan.source}"
    return Sourced(float(plan.average_criteria), source, Confidence(plan.confidence))


def _columns(criteria: dict[int, list[Criterion]], set_ids: list[int]) -> list[CriterionColumn]:
    """The criteria of the sets in use, by number; a number's name from the set most dossiers use."""
    names: dict[int, str] = {}
    for set_id, _ in Counter(set_ids).most_common():
        for criterion in criteria.get(set_id, []):
            names.setdefault(criterion.number, criterion.name)
    return [CriterionColumn(number, names[number]) for number in sorted(names)]


def _by_state(session: Session, inside: set[int], year: int) -> list[StateCount]:
    rows = session.execute(
        select(Dossier.level, Dossier.kind, Dossier.state, func.count(Dossier.id))
        .where(Dossier.unit_id.in_(inside), Dossier.year == year)
        .group_by(Dossier.level, Dossier.kind, Dossier.state)
    ).all()
    found = []
    for level, kind, state, count in rows:
        try:
            order = procedure_for(level, kind).states.index(state)
        except (UnknownProcedure, ValueError):
            order = 999
        label = level_label(level)
        if kind != DossierKind.RECOGNITION:
            label = f"{label} — {DOSSIER_KIND_LABELS.get(DossierKind(kind), kind)}"
        found.append(
            (
                level_label(level),
                kind,
                order,
                StateCount(level, kind, label, state, state_label(level, kind, state), count),
            )
        )
    found.sort(key=lambda item: (item[1] != DossierKind.RECOGNITION, item[0], item[2]))
    return [item[3] for item in found]


def _waiting_for_decision(session: Session, inside: set[int], year: int) -> list[Dossier]:
    states = deciding_states()
    wanted = [
        and_(Dossier.level == level, Dossier.kind == kind, Dossier.state.in_(sorted(found)))
        for (level, kind), found in states.items()
        if found
    ]
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Dossier)
            .where(Dossier.unit_id.in_(inside), Dossier.year == year, or_(*wanted))
            .options(selectinload(Dossier.unit), selectinload(Dossier.decider_unit))
            .order_by(Dossier.updated_at, Dossier.id)
        ).all()
    )


def _summaries(
    session: Session, waiting: list[Dossier], statuses: dict[int, dict[int, CriterionStatus]]
) -> list[DecisionSummary]:
    if not waiting:
        return []
    ids = [d.id for d in waiting]
    tasks: dict[int, list[TaskSummary]] = defaultdict(list)
    rows = session.execute(
        select(
            AppraisalTask.id,
            AppraisalTask.dossier_id,
            AppraisalTask.round,
            AppraisalTask.fallback_role,
            Department.name,
            AppraisalItem.decision,
        )
        .outerjoin(Department, Department.id == AppraisalTask.department_id)
        .join(AppraisalItem, AppraisalItem.task_id == AppraisalTask.id)
        .where(AppraisalTask.dossier_id.in_(ids))
        .order_by(AppraisalTask.id)
    ).all()
    heads: dict[int, tuple[int, int, str]] = {}
    counts: dict[int, Counter[str | None]] = defaultdict(Counter)
    for task_id, dossier_id, round_, fallback_role, department_name, decision in rows:
        heads[task_id] = (dossier_id, round_, task_label(department_name, fallback_role))
        counts[task_id][decision] += 1
    for task_id, (dossier_id, round_, label) in heads.items():
        c = counts[task_id]
        tasks[dossier_id].append(TaskSummary(label, c[APPROVED], c[RETURNED], c[None], round_))
    confirmations: dict[int, dict[str, tuple[bool, str]]] = defaultdict(dict)
    for dossier_id, condition, holds, department_name in session.execute(
        select(
            ConditionConfirmation.dossier_id,
            ConditionConfirmation.condition,
            ConditionConfirmation.holds,
            Department.name,
        )
        .join(Department, Department.id == ConditionConfirmation.department_id)
        .where(ConditionConfirmation.dossier_id.in_(ids))
    ):
        confirmations[dossier_id][condition] = (holds, department_name)
    consultations = {
        c.dossier_id: c for c in session.scalars(select(Consultation).where(Consultation.dossier_id.in_(ids)))
    }
    found = []
    for dossier in waiting:
        marks = statuses.get(dossier.id, {})
        consultation = consultations.get(dossier.id)
        decider = dossier.decider_unit
        found.append(
            DecisionSummary(
                dossier=dossier,
                level_label=level_label(dossier.level),
                state_label=state_label(dossier.level, dossier.kind, dossier.state),
                decider_name=f"Chủ tịch UBND {_unit_in_text(decider)}" if decider is not None else "—",
                criteria_met=sum(1 for s in marks.values() if s == CriterionStatus.MET),
                criteria_total=len(marks),
                tasks=tuple(tasks.get(dossier.id, [])),
                conditions=tuple(
                    (
                        label,
                        confirmations[dossier.id][code][0] if code in confirmations[dossier.id] else None,
                        confirmations[dossier.id][code][1] if code in confirmations[dossier.id] else "",
                    )
                    for code, label in CONDITION_LABELS.items()
                ),
                households_total=consultation.households_total if consultation else None,
                households_reached=consultation.households_reached if consultation else None,
                households_satisfied=consultation.households_satisfied if consultation else None,
                votes_total=consultation.votes_total if consultation else None,
                votes_in_favour=consultation.votes_in_favour if consultation else None,
            )
        )
    return found


def _unit_in_text(unit: Unit) -> str:
    return f"{UNIT_KIND_LABELS.get(UnitKind(unit.kind), unit.kind).lower()} {unit.name}"
