"""Obligations as domain data: who owes what by when, met when, by which event.

Rows (`ObligationRecord`) are kept true two ways:

- **by the commands that meet them**, in the command's transaction: a dossier's action marks the
  milestones it reached, the working-day step it left and, when the appraisal ends, its tasks
  (`dossier_moved`); a recorded report its period (`report_submitted`). Each is one UPDATE.
- **by `reconcile`**, which the scheduler runs before it plans reminders: it works out from the
  dossiers, tasks, submissions, units and rules in force which rows should exist and in which state,
  creates the missing ones and closes or reopens those whose truth changed (a rule switched off, a
  dossier withdrawn or sent back, a province's new date). It issues a fixed number of statements
  whatever the size of the country: one query per kind of source, one bulk INSERT, one bulk UPDATE.

Met rows keep the event that met them; a row reconcile finds met without a command having said so
(data changed outside the commands) records what it saw ("dossier:appraised", "task:12 closed").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from sqlalchemy import String, and_, case, cast, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    AuditEvent,
    Department,
    Dossier,
    ObligationRecord,
    ObligationStatus,
    Ownership,
    ReportSubmission,
    Unit,
)
from dossiers.planning.rules import RuleBook, load_calendar
from dossiers.territory import Territory, load_whole_territory
from workflow.calendar import WorkingCalendar, local_date
from workflow.deadlines import DEADLINE_RULES, DeadlineRule, ObligorKind, occurrence_for_last_day
from workflow.engine import Procedure
from workflow.procedures import UnknownProcedure, milestone_reached, procedure_for, step_limit
from workflow.vocabulary import DossierKind, Role, UnitKind

OPEN, MET, VOID = ObligationStatus.OPEN.value, ObligationStatus.MET.value, ObligationStatus.VOID.value

#: who acts to end each working-day step, at the dossier's authority (registration) or decider (decision)
STEP_SEATS: dict[str, Role] = {
    "registration-confirmation": Role.COORDINATOR,
    "decision": Role.APPROVER,
    # the Sở NN&PTNT's appraisal is played by the province's coordinator (workflow.procedures)
    "provincial-appraisal": Role.COORDINATOR,
}
#: the steps owed by the deciding unit's seat (the province), not the appraising authority's (the district)
DECIDER_STEPS = ("decision", "provincial-appraisal")

_MILESTONE_RULES = tuple(rule for rule in DEADLINE_RULES if rule.obligor == ObligorKind.DOSSIER)
_STEP_RULES = tuple(rule for rule in DEADLINE_RULES if rule.obligor == ObligorKind.STEP)


def unit_key(code: str, period: str, unit_id: int) -> str:
    return f"{code}:{period}:unit:{unit_id}"


def department_key(code: str, period: str, department_id: int) -> str:
    return f"{code}:{period}:department:{department_id}"


def dossier_key(code: str, period: str, dossier_id: int) -> str:
    return f"{code}:{period}:dossier:{dossier_id}"


def task_key(task_id: int, round_: int) -> str:
    return f"appraisal:task:{task_id}:r{round_}"


def step_key(code: str, dossier_id: int, event_id: int) -> str:
    return f"{code}:dossier:{dossier_id}:e{event_id}"


# --- the commands that meet obligations -----------------------------------------------------------


def dossier_moved(session: Session, dossier: Dossier, from_state: str, action: str, now: dt.datetime) -> None:
    """Mark what `action` (from `from_state` to the dossier's state) met: the milestones it reached, the
    working-day step it left, and, when the appraisal ended, every task of it ("task:<id> answered"); a
    withdrawn dossier owes nothing more. One UPDATE, none when nothing applies.

    (An answer that does not end the appraisal leaves its task's row to the next reconcile, which records
    the answer's time: the approval stays within the statement budget tests/dossiers/test_statement_counts.py pins.)
    """
    to_state = dossier.state
    if to_state == from_state:
        return
    try:
        procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
    except UnknownProcedure:
        return
    record = ObligationRecord
    if to_state in procedure.definition.abandoned:
        session.execute(
            update(record)
            .where(record.status == OPEN, record.dossier_id == dossier.id)
            .values(status=VOID, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return
    codes = [rule.code for rule in _STEP_RULES if rule.step_state == from_state]
    if dossier.kind == DossierKind.RECOGNITION:
        codes += [
            rule.code
            for rule in _MILESTONE_RULES
            if rule.milestone is not None
            and milestone_reached(dossier.level, to_state, rule.milestone, dossier.kind, dossier.route)
            and not milestone_reached(dossier.level, from_state, rule.milestone, dossier.kind, dossier.route)
        ]
    appraisal_ended = from_state == procedure.definition.submitted_state
    if not codes and not appraisal_ended:
        return
    which: ColumnElement[bool] = record.rule_code.in_(codes)
    if appraisal_ended:
        which = or_(which, record.task_id.is_not(None))
    met_by = case(
        (record.task_id.is_not(None), literal("task:") + cast(record.task_id, String) + literal(" answered")),
        else_=literal(f"dossier:{action}"),
    )
    session.execute(
        update(record)
        .where(record.status == OPEN, record.dossier_id == dossier.id, which)
        .values(status=MET, met_at=now, met_by=met_by, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def report_submitted(session: Session, submission: ReportSubmission) -> None:
    """A recorded report meets its period's obligation. One UPDATE."""
    if submission.unit_id is not None:
        key = unit_key(submission.obligation_code, submission.period, submission.unit_id)
    elif submission.department_id is not None:
        key = department_key(submission.obligation_code, submission.period, submission.department_id)
    else:
        return
    session.execute(
        update(ObligationRecord)
        .where(ObligationRecord.key == key, ObligationRecord.status != MET)
        .values(
            status=MET,
            met_at=submission.submitted_at,
            met_by=f"report:{submission.id}",
            updated_at=submission.submitted_at,
        )
        .execution_options(synchronize_session=False)
    )


# --- the working-day limits -------------------------------------------------------------------------


def appraisal_days(book: RuleBook, chain: tuple[int, ...], dossier: Dossier, procedure: Procedure) -> int | None:
    """The working days a department has to answer its appraisal task on `dossier` (whose unit's authorities
    are `chain`, `Territory.authority_chain`): the province's own figure when it set one, else the procedure's
    step limit; None when the rule is switched off."""
    return _step_days(
        book.rules(chain, dossier.year)["appraisal"],
        procedure,
        procedure.definition.submitted_state,
        UnitKind(dossier.authority_unit.kind),
    )


def _step_days(rule: DeadlineRule, procedure: Procedure, state: str, authority_kind: UnitKind) -> int | None:
    if not rule.enabled:
        return None
    if rule.working_days is not None:
        return rule.working_days
    limit = step_limit(procedure, state, authority_kind)
    return None if limit is None else limit.value


class RulesInForce:
    """`RuleBook.rules` by unit, and each rule's occurrences by year, worked out once per unit and rule:
    a national scan asks them for every commune."""

    def __init__(self, book: RuleBook, territory: Territory) -> None:
        self.book, self.territory = book, territory
        self._chains: dict[int, tuple[int, ...]] = {}
        self._occurrences: dict[tuple[int, int], list[Due]] = {}

    def of(self, unit_id: int, year: int) -> dict[str, DeadlineRule]:
        chain = self._chains.get(unit_id)
        if chain is None:
            chain = self._chains[unit_id] = self.territory.authority_chain(unit_id)
        return self.book.rules(chain, year)

    def occurrences(self, rule: DeadlineRule, year: int) -> list[Due]:
        key = (id(rule), year)  # the book keeps its rules alive: their ids are stable
        found = self._occurrences.get(key)
        if found is None:
            found = self._occurrences[key] = [
                Due(o.period, o.label, o.last_day, o.due_at) for o in rule.occurrences(year)
            ]
        return found


class Due(NamedTuple):
    """An occurrence with its last day and due instant worked out once (thousands of units share it)."""

    period: str
    label: str
    last_day: dt.date
    due_at: dt.datetime


# --- reconcile --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Owed:
    key: str
    rule_code: str
    period: str
    period_label: str
    year: int
    obligor_kind: ObligorKind
    last_day: dt.date
    due_at: dt.datetime
    status: str = OPEN
    unit_id: int | None = None
    department_id: int | None = None
    dossier_id: int | None = None
    task_id: int | None = None
    seat: str | None = None
    has_plan_date: bool = True
    met_at: dt.datetime | None = None
    met_by: str | None = None


@dataclass
class ReconcileReport:
    """What one reconcile did: rows in view, created, closed (met or void), reopened, moved (new date)."""

    rows: int = 0
    created: int = 0
    closed: int = 0
    reopened: int = 0
    moved: int = 0
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _DossierRow:
    id: int
    unit_id: int
    authority_unit_id: int
    decider_unit_id: int | None
    level: str
    kind: str
    year: int
    state: str
    #: the route the dossier pinned (a province's variant of the procedure, `workflow.procedures.procedure_for`)
    route: str | None


def _occurrence_row(
    occurrence: Due, rule: DeadlineRule, year: int, kind: ObligorKind, key: str, **ids: int | None
) -> _Owed:
    return _Owed(
        key=key,
        rule_code=rule.code,
        period=occurrence.period,
        period_label=occurrence.label,
        year=year,
        obligor_kind=kind,
        last_day=occurrence.last_day,
        due_at=occurrence.due_at,
        **ids,  # type: ignore[arg-type]
    )


def reconcile(
    session: Session,
    now: dt.datetime,
    *,
    years: Iterable[int],
    calendar: WorkingCalendar | None = None,
    book: RuleBook | None = None,
    territory: Territory | None = None,
) -> ReconcileReport:
    """Bring the stored obligations of `years` in line with the data; flushes. A fixed number of statements.

    Creates what is owed and not stored; closes open rows no longer owed (met when the data shows the
    obligation done, void when it no longer applies); reopens closed rows owed again (a dossier sent back
    before its milestone, a report removed); moves rows whose rule now sets another date. Rows met by a
    command keep the event that met them.
    """
    wanted_years = sorted(set(years))
    report = ReconcileReport()
    if not wanted_years:
        return report
    book = book or RuleBook.load(session)
    calendar = calendar or load_calendar(session)
    territory = territory or load_whole_territory(session)
    rules = RulesInForce(book, territory)
    owed: dict[str, _Owed] = {}
    for row in _unit_and_department_rows(session, territory, rules, wanted_years):
        owed[row.key] = row
    dossiers = {
        d.id: d
        for d in (
            _DossierRow(*r)
            for r in session.execute(
                select(
                    Dossier.id,
                    Dossier.unit_id,
                    Dossier.authority_unit_id,
                    Dossier.decider_unit_id,
                    Dossier.level,
                    Dossier.kind,
                    Dossier.year,
                    Dossier.state,
                    Dossier.route,
                ).where(Dossier.year.in_(wanted_years))
            ).all()
        )
    }
    for row in _dossier_rows(territory, rules, dossiers.values()):
        owed[row.key] = row
    for row in _working_day_rows(session, territory, rules, calendar, dossiers, wanted_years):
        owed[row.key] = row

    existing = session.execute(
        select(
            ObligationRecord.id,
            ObligationRecord.key,
            ObligationRecord.status,
            ObligationRecord.last_day,
            ObligationRecord.period_label,
            ObligationRecord.dossier_id,
            ObligationRecord.task_id,
            ObligationRecord.rule_code,
            ObligationRecord.unit_id,
            ObligationRecord.department_id,
            ObligationRecord.seat,
        ).where(ObligationRecord.year.in_(wanted_years))
    ).all()
    report.rows = len(owed)
    # open rows of tasks no longer open: when were they answered (one query)
    gone_tasks = [r.task_id for r in existing if r.task_id is not None and r.status == OPEN and r.key not in owed]
    answered = (
        dict(
            session.execute(
                select(AppraisalTask.id, AppraisalTask.answered_at).where(AppraisalTask.id.in_(gone_tasks))
            ).all()
        )
        if gone_tasks
        else {}
    )
    changes: list[dict[str, object]] = []
    seen: set[str] = set()
    for row_id, key, status, last_day, label, dossier_id, task_id, rule_code, unit_id, department_id, seat in existing:
        seen.add(key)
        want = owed.get(key)
        if want is None:
            if status != OPEN:
                continue
            # owed no more: done (a task answered, a step left) or no longer applicable
            dossier = dossiers.get(dossier_id) if dossier_id is not None else None
            met_by = _seen_done(rule_code, task_id, dossier)
            change: dict[str, object] = {"id": row_id, "updated_at": now}
            if met_by is None:
                change |= {"status": VOID}
            elif task_id is not None and answered.get(task_id) is not None:
                change |= {"status": MET, "met_at": answered[task_id], "met_by": f"task:{task_id} answered"}
            else:
                change |= {"status": MET, "met_at": now, "met_by": met_by}
            changes.append(change)
            report.closed += 1
            continue
        change = {}
        if want.status != status:
            if want.status == OPEN:
                change |= {"status": OPEN, "met_at": None, "met_by": None}
                report.reopened += 1
            elif status == OPEN or want.status == MET:
                change |= {"status": want.status, "met_at": want.met_at or now, "met_by": want.met_by}
                if want.status == VOID:
                    change |= {"met_at": None, "met_by": None}
                report.closed += 1
        if want.last_day != last_day or want.period_label != label:
            change |= {"last_day": want.last_day, "due_at": want.due_at, "period_label": want.period_label}
            report.moved += 1
        if (want.unit_id, want.department_id, want.seat) != (unit_id, department_id, seat):
            # a reorganisation moved the task to another department, the commune to another unit
            change |= {"unit_id": want.unit_id, "department_id": want.department_id, "seat": want.seat}
        if change:
            changes.append({"id": row_id, "updated_at": now, **change})
    new = [
        {
            "key": o.key,
            "rule_code": o.rule_code,
            "period": o.period,
            "period_label": o.period_label,
            "year": o.year,
            "obligor_kind": o.obligor_kind.value,
            "unit_id": o.unit_id,
            "department_id": o.department_id,
            "dossier_id": o.dossier_id,
            "task_id": o.task_id,
            "seat": o.seat,
            "last_day": o.last_day,
            "due_at": o.due_at,
            "has_plan_date": o.has_plan_date,
            "status": o.status,
            "met_at": o.met_at or (now if o.status == MET else None),
            "met_by": o.met_by,
            "created_at": now,
            "updated_at": now,
        }
        for key, o in owed.items()
        if key not in seen and o.status != VOID
    ]
    if new:
        # one executemany however many rows (render_nulls: the ORM does not split the rows by their NULLs)
        session.execute(insert(ObligationRecord).execution_options(render_nulls=True), new)
        report.created = len(new)
    if changes:
        _bulk_update(session, changes)
    session.flush()
    return report


def _bulk_update(session: Session, changes: list[dict[str, object]]) -> None:
    # an executemany UPDATE by primary key wants the same columns in every row: group them by shape
    shapes: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for change in changes:
        shapes.setdefault(tuple(sorted(change)), []).append(change)
    for rows in shapes.values():
        session.execute(update(ObligationRecord), rows)


def _seen_done(rule_code: str, task_id: int | None, dossier: _DossierRow | None) -> str | None:
    """What closed a row reconcile no longer finds owed: an event name, or None when it is void."""
    if dossier is None:
        return None
    try:
        procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
    except UnknownProcedure:
        return None
    if dossier.state in procedure.definition.abandoned:
        return None
    if task_id is not None:
        return f"task:{task_id} closed"
    if rule_code in STEP_SEATS or any(rule.code == rule_code for rule in _MILESTONE_RULES):
        return f"dossier:{dossier.state}"
    return None


def _unit_and_department_rows(
    session: Session, territory: Territory, rules: RulesInForce, years: list[int]
) -> list[_Owed]:
    submitted: dict[tuple[str, str, str, int], tuple[int, dt.datetime]] = {}
    for sub_id, code, period, unit_id, department_id, at in session.execute(
        select(
            ReportSubmission.id,
            ReportSubmission.obligation_code,
            ReportSubmission.period,
            ReportSubmission.unit_id,
            ReportSubmission.department_id,
            ReportSubmission.submitted_at,
        ).where(or_(*(ReportSubmission.period.like(f"{year}%") for year in years)))
    ).all():
        if unit_id is not None:
            submitted[code, period, "unit", unit_id] = (sub_id, at)
        elif department_id is not None:
            submitted[code, period, "department", department_id] = (sub_id, at)
    owners = {
        (department_id, year)
        for department_id, year in session.execute(
            select(Ownership.department_id, Ownership.year).where(Ownership.year.in_(years)).distinct()
        ).all()
    }
    departments = session.execute(select(Department.id, Department.unit_id).order_by(Department.id)).all()

    unit_kinds = {k for rule in DEADLINE_RULES if rule.obligor == ObligorKind.UNIT for k in rule.unit_kinds}
    found: list[_Owed] = []

    def met(row: _Owed, kind: str, obligor_id: int) -> _Owed:
        done = submitted.get((row.rule_code, row.period, kind, obligor_id))
        if done is None:
            return row
        return replace(row, status=MET, met_at=done[1], met_by=f"report:{done[0]}")

    for year in years:
        for place in territory.places.values():
            if place.kind not in unit_kinds:
                continue
            lifelong = place.valid_from is None and place.valid_to is None
            for rule in rules.of(place.id, year).values():
                if rule.obligor != ObligorKind.UNIT or not rule.enabled or place.kind not in rule.unit_kinds:
                    continue
                for occurrence in rules.occurrences(rule, year):
                    if lifelong or place.is_valid_on(occurrence.last_day):
                        row = _occurrence_row(
                            occurrence,
                            rule,
                            year,
                            ObligorKind.UNIT,
                            unit_key(rule.code, occurrence.period, place.id),
                            unit_id=place.id,
                        )
                        found.append(met(row, "unit", place.id))
        for department_id, unit_id in departments:
            home = territory.places.get(unit_id)
            if home is None:
                continue
            for rule in rules.of(unit_id, year).values():
                if rule.obligor != ObligorKind.DEPARTMENT or not rule.enabled or home.kind not in rule.unit_kinds:
                    continue
                if rule.requires_ownership and (department_id, year) not in owners:
                    continue
                for occurrence in rules.occurrences(rule, year):
                    if home.is_valid_on(occurrence.last_day):
                        row = _occurrence_row(
                            occurrence,
                            rule,
                            year,
                            ObligorKind.DEPARTMENT,
                            department_key(rule.code, occurrence.period, department_id),
                            department_id=department_id,
                        )
                        found.append(met(row, "department", department_id))
    return found


def _dossier_rows(territory: Territory, rules: RulesInForce, dossiers: Iterable[_DossierRow]) -> list[_Owed]:
    found: list[_Owed] = []
    for dossier in dossiers:
        if dossier.kind != DossierKind.RECOGNITION:
            continue
        try:
            procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
        except UnknownProcedure:
            continue
        abandoned = dossier.state in procedure.definition.abandoned
        place = territory.places[dossier.unit_id]
        for rule in rules.of(dossier.unit_id, dossier.year).values():
            if rule.obligor != ObligorKind.DOSSIER or not rule.enabled or dossier.level not in rule.levels:
                continue
            if rule.milestone is None:
                continue
            reached = milestone_reached(dossier.level, dossier.state, rule.milestone, dossier.kind, dossier.route)
            for occurrence in rules.occurrences(rule, dossier.year):
                if not place.is_valid_on(occurrence.last_day):
                    continue
                row = _occurrence_row(
                    occurrence,
                    rule,
                    dossier.year,
                    ObligorKind.DOSSIER,
                    dossier_key(rule.code, occurrence.period, dossier.id),
                    unit_id=dossier.unit_id,
                    dossier_id=dossier.id,
                )
                if abandoned:
                    row = replace(row, status=VOID)
                elif reached:
                    row = replace(row, status=MET, met_by=f"dossier:{dossier.state}")
                found.append(row)
    return found


def _working_day_rows(
    session: Session,
    territory: Territory,
    rules: RulesInForce,
    calendar: WorkingCalendar,
    dossiers: dict[int, _DossierRow],
    years: list[int],
) -> list[_Owed]:
    """Open appraisal tasks, and dossiers waiting in a step limited in working days (registration to
    confirm, decision to take), due that many working days after the step began."""
    found: list[_Owed] = []
    tasks = session.execute(
        select(
            AppraisalTask.id,
            AppraisalTask.dossier_id,
            AppraisalTask.department_id,
            AppraisalTask.fallback_role,
            AppraisalTask.round,
            AppraisalTask.opened_at,
            func.count(AppraisalItem.id),
        )
        .join(Dossier, Dossier.id == AppraisalTask.dossier_id)
        .join(AppraisalItem, and_(AppraisalItem.task_id == AppraisalTask.id, AppraisalItem.decision.is_(None)))
        .where(
            AppraisalTask.answered_at.is_(None),
            Dossier.state == "under_appraisal",
            Dossier.year.in_(years),
        )
        .group_by(
            AppraisalTask.id,
            AppraisalTask.dossier_id,
            AppraisalTask.department_id,
            AppraisalTask.fallback_role,
            AppraisalTask.round,
            AppraisalTask.opened_at,
        )
    ).all()
    for task_id, dossier_id, department_id, fallback_role, round_, opened_at, pending in tasks:
        dossier = dossiers.get(dossier_id)
        if dossier is None:
            continue
        try:
            procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
        except UnknownProcedure:
            continue
        rule = rules.of(dossier.unit_id, dossier.year)["appraisal"]
        days = _step_days(
            rule,
            procedure,
            procedure.definition.submitted_state,
            territory.places[dossier.authority_unit_id].kind,
        )
        if days is None:
            continue
        opened = local_date(opened_at)
        occurrence = occurrence_for_last_day(
            f"{dossier.year}-task-{task_id}-r{round_}",
            f"lần {round_}, giao ngày {opened:%d/%m/%Y}, {days} ngày làm việc, {pending} chỉ tiêu chờ thẩm tra",
            calendar.add_working_days(opened, days),
        )
        found.append(
            _Owed(
                key=task_key(task_id, round_),
                rule_code=rule.code,
                period=occurrence.period,
                period_label=occurrence.label,
                year=dossier.year,
                obligor_kind=ObligorKind.APPRAISAL,
                last_day=occurrence.last_day,
                due_at=occurrence.due_at,
                unit_id=dossier.unit_id,
                department_id=department_id,
                dossier_id=dossier.id,
                task_id=task_id,
                seat=None if department_id is not None else (fallback_role or Role.COORDINATOR.value),
                has_plan_date=False,
            )
        )

    states = sorted({rule.step_state for rule in _STEP_RULES if rule.step_state})
    waiting = [d for d in dossiers.values() if d.state in states]
    if not waiting:
        return found
    # the event that put each waiting dossier in its state (the latest that entered it)
    entered = {
        dossier_id: (event_id, at)
        for dossier_id, event_id, at in session.execute(
            select(AuditEvent.dossier_id, func.max(AuditEvent.id), func.max(AuditEvent.occurred_at))
            .join(Dossier, Dossier.id == AuditEvent.dossier_id)
            .where(
                Dossier.year.in_(years),
                Dossier.state.in_(states),
                AuditEvent.to_state == Dossier.state,
                or_(AuditEvent.from_state.is_(None), AuditEvent.from_state != AuditEvent.to_state),
            )
            .group_by(AuditEvent.dossier_id)
        ).all()
    }
    for dossier in waiting:
        start = entered.get(dossier.id)
        if start is None:
            continue
        try:
            procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
        except UnknownProcedure:
            continue
        in_year = rules.of(dossier.unit_id, dossier.year)
        for rule in _STEP_RULES:
            if rule.step_state != dossier.state:
                continue
            in_force = in_year[rule.code]
            seat = STEP_SEATS[rule.code]
            authority_id = step_authority_id(rule.code, dossier.authority_unit_id, dossier.decider_unit_id)
            days = _step_days(in_force, procedure, dossier.state, territory.places[authority_id].kind)
            if days is None:
                continue
            event_id, at = start
            began = local_date(at)
            occurrence = occurrence_for_last_day(
                f"{dossier.year}-{rule.code}-e{event_id}",
                f"từ ngày {began:%d/%m/%Y}, {days} ngày làm việc",
                calendar.add_working_days(began, days),
            )
            found.append(
                _Owed(
                    key=step_key(rule.code, dossier.id, event_id),
                    rule_code=rule.code,
                    period=occurrence.period,
                    period_label=occurrence.label,
                    year=dossier.year,
                    obligor_kind=ObligorKind.STEP,
                    last_day=occurrence.last_day,
                    due_at=occurrence.due_at,
                    unit_id=dossier.unit_id,
                    dossier_id=dossier.id,
                    seat=seat.value,
                    has_plan_date=False,
                )
            )
    return found


def reports_owed(
    session: Session, *, unit_ids: Iterable[int], department_ids: Iterable[int], until: dt.date
) -> list[tuple[ObligationRecord, Unit | None, Department | None]]:
    """The periodic reports the units and departments still owe with a last day up to `until` (the late ones
    included), soonest first, each with its unit or department: the stored open rows (kept by `reconcile`), one
    query."""
    units, departments = list(unit_ids), list(department_ids)
    if not units and not departments:
        return []
    record = ObligationRecord
    rows = session.execute(
        select(record, Unit, Department)
        .outerjoin(Unit, Unit.id == record.unit_id)
        .outerjoin(Department, Department.id == record.department_id)
        .where(
            record.status == OPEN,
            record.last_day <= until,
            or_(
                and_(record.obligor_kind == ObligorKind.UNIT, record.unit_id.in_(units)),
                and_(record.obligor_kind == ObligorKind.DEPARTMENT, record.department_id.in_(departments)),
            ),
        )
        .order_by(record.last_day, record.rule_code, record.id)
    ).all()
    return [(found, unit, department) for found, unit, department in rows]


def step_authority_id(rule_code: str, authority_unit_id: int, decider_unit_id: int | None) -> int:
    """The unit whose seat owes a working-day step: the decider's for the decision and the Sở's appraisal, else
    the authority's."""
    if rule_code in DECIDER_STEPS and decider_unit_id is not None:
        return decider_unit_id
    return authority_unit_id


__all__ = [
    "STEP_SEATS",
    "Due",
    "ReconcileReport",
    "RulesInForce",
    "appraisal_days",
    "dossier_moved",
    "reconcile",
    "report_submitted",
    "reports_owed",
    "step_authority_id",
]
