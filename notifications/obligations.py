"""Who owes what, by when: open obligations computed from dossiers, registrations and report rules.

An obligation is open until it is met: a dossier reaching its milestone ("submitted" meets the
20/9 obligation, "complete" the 20/10 one), a periodic report recorded as submitted, an appraisal
task answered. Nothing is stored here: every scan recomputes the list from the dossiers' rows, so
meeting an obligation needs no call into this package.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossiers.models import (
    Delegation,
    Department,
    Dossier,
    Ownership,
    ReportSubmission,
    RoleAssignment,
    Unit,
    User,
)
from dossiers.procedure_facts import open_appraisal_tasks
from dossiers.territory import Place, Territory, load_whole_territory
from notifications.rules import RuleBook
from workflow.calendar import WorkingCalendar, local_date
from workflow.deadlines import (
    DEADLINE_RULES,
    DeadlineRule,
    ObligorKind,
    Occurrence,
    ReminderPolicy,
    occurrence_for_last_day,
)
from workflow.engine import Procedure
from workflow.procedures import UnknownProcedure, milestone_reached, procedure_for, step_limit
from workflow.vocabulary import ROLE_LABELS, UNIT_KIND_LABELS, DossierKind, RecognitionLevel, Role, UnitKind


@dataclass(frozen=True)
class Person:
    """Someone an obligation's e-mails go to."""

    id: int
    username: str
    name: str
    email: str


@dataclass(frozen=True)
class Obligation:
    """One thing a unit or a department must do by a date, and who hears about it."""

    key: str
    rule: DeadlineRule
    occurrence: Occurrence
    obligor_kind: ObligorKind
    obligor_name: str
    link_path: str
    remind: tuple[Person, ...]
    escalate_to: tuple[Person, ...]
    supervisor_name: str | None
    unit_id: int | None = None
    department_id: int | None = None
    dossier_id: int | None = None
    #: False for limits counted in working days: there is no plan date to show
    has_plan_date: bool = True

    @property
    def title(self) -> str:
        return self.rule.title

    @property
    def last_day(self) -> dt.date:
        return self.occurrence.last_day

    @property
    def due_at(self) -> dt.datetime:
        return self.occurrence.due_at

    @property
    def period_label(self) -> str:
        return self.occurrence.label

    def is_overdue(self, now: dt.datetime) -> bool:
        return now >= self.due_at

    def days_left(self, today: dt.date) -> int:
        """Days from `today` to the last day: 0 on the last day, negative once it passed."""
        return (self.last_day - today).days


def unit_label(unit: Unit | Place) -> str:
    """ "Xã Lê Lai", "Huyện Thạch An"."""
    return f"{UNIT_KIND_LABELS.get(UnitKind(unit.kind), unit.kind)} {unit.name}"


def unit_label_in_text(unit: Unit | Place) -> str:
    """ "huyện Thạch An": the kind in lower case, as inside a sentence."""
    return f"{UNIT_KIND_LABELS.get(UnitKind(unit.kind), unit.kind).lower()} {unit.name}"


def department_label(department: Department) -> str:
    """ "Phòng Tài chính - Kế hoạch (huyện Thạch An)"."""
    return f"{department.name} ({unit_label_in_text(department.unit)})"


@dataclass
class _People:
    """Role holders loaded once per scan, and today's substitutes."""

    by_unit: dict[tuple[Role, int], list[Person]]
    by_department: dict[int, list[Person]]
    substitutes: dict[int, list[Person]]

    @classmethod
    def load(cls, session: Session, today: dt.date) -> _People:
        by_unit: dict[tuple[Role, int], list[Person]] = defaultdict(list)
        by_department: dict[int, list[Person]] = defaultdict(list)
        rows = session.execute(
            select(RoleAssignment, User)
            .join(User, RoleAssignment.user_id == User.id)
            .where(
                User.active.is_(True),
                RoleAssignment.role != Role.ADMIN,
            )
            .order_by(User.id)
        ).all()
        for assignment, user in rows:
            person = Person(user.id, user.username, user.full_name, user.email)
            if assignment.role == Role.DEPARTMENT_OFFICER and assignment.department_id is not None:
                by_department[assignment.department_id].append(person)
            elif assignment.unit_id is not None:
                by_unit[Role(assignment.role), assignment.unit_id].append(person)
        substitutes: dict[int, list[Person]] = defaultdict(list)
        delegations = session.scalars(
            select(Delegation)
            .options(selectinload(Delegation.substitute))
            .where(Delegation.starts_on <= today, Delegation.ends_on >= today)
        ).all()
        for delegation in delegations:
            user = delegation.substitute
            if user.active:
                substitutes[delegation.delegator_id].append(Person(user.id, user.username, user.full_name, user.email))
        return cls(by_unit, by_department, substitutes)

    def _with_substitutes(self, people: Iterable[Person]) -> tuple[Person, ...]:
        seen: dict[int, Person] = {}
        for person in people:
            seen.setdefault(person.id, person)
            for substitute in self.substitutes.get(person.id, ()):
                seen.setdefault(substitute.id, substitute)
        return tuple(seen.values())

    def unit_officers(self, unit_id: int) -> tuple[Person, ...]:
        return self._with_substitutes(self.by_unit.get((Role.UNIT_OFFICER, unit_id), ()))

    def coordinators(self, unit_id: int | None) -> tuple[Person, ...]:
        return self.holders(Role.COORDINATOR, unit_id)

    def holders(self, role: Role, unit_id: int | None) -> tuple[Person, ...]:
        if unit_id is None:
            return ()
        return self._with_substitutes(self.by_unit.get((role, unit_id), ()))

    def department_officers(self, department_id: int) -> tuple[Person, ...]:
        return self._with_substitutes(self.by_department.get(department_id, ()))


def _in_window(last_day: dt.date, window: tuple[dt.date, dt.date] | None) -> bool:
    return window is None or window[0] <= last_day <= window[1]


def reminder_window(
    today: dt.date, policy: ReminderPolicy, rulebook: RuleBook | None = None, slack_days: int = 21
) -> tuple[dt.date, dt.date]:
    """The last days of obligations a scan on `today` can have something to send for.

    Reminders move back over days off (Tết can close offices for nine days) and late ones are
    caught up for `catch_up_days`: `slack_days` covers both. Offsets set by overrides count too.
    """
    reminder, escalation = rulebook.largest_offsets() if rulebook is not None else (0, 0)
    ahead = max((*policy.offsets, reminder)) + slack_days
    behind = max((*policy.escalation_offsets, escalation)) + policy.catch_up_days + slack_days
    return today - dt.timedelta(days=behind), today + dt.timedelta(days=ahead)


def open_obligations(
    session: Session,
    *,
    years: Iterable[int],
    calendar: WorkingCalendar,
    today: dt.date,
    window: tuple[dt.date, dt.date] | None = None,
    within: Unit | None = None,
    rulebook: RuleBook | None = None,
) -> list[Obligation]:
    """Every obligation of `years` not yet met, sorted by last day.

    `window` keeps only obligations whose last day falls in it (a scan needs only those near
    today); `within` keeps those of a unit, the units below it and their departments. Recipients
    are the role holders as of `today` (with today's substitutes).
    """
    book = rulebook or RuleBook.load(session)
    people = _People.load(session, today)
    territory = load_whole_territory(session)
    scope = territory.descendant_ids(within.id) if within is not None else None
    found: list[Obligation] = []
    years_wanted = sorted(set(years))
    for year in years_wanted:
        found += _unit_obligations(session, territory, book, people, year, window, scope)
        found += _department_obligations(session, territory, book, people, year, window, scope)
        found += _dossier_obligations(session, territory, book, people, year, window, scope)
    found += _appraisal_obligations(session, territory, book, people, calendar, set(years_wanted), window, scope)
    found.sort(key=lambda o: (o.last_day, o.obligor_name, o.rule.code, o.key))
    return found


def _unit_obligations(
    session: Session,
    territory: Territory,
    book: RuleBook,
    people: _People,
    year: int,
    window: tuple[dt.date, dt.date] | None,
    scope: set[int] | None,
) -> list[Obligation]:
    submitted = {
        (code, period, unit_id)
        for code, period, unit_id in session.execute(
            select(ReportSubmission.obligation_code, ReportSubmission.period, ReportSubmission.unit_id).where(
                ReportSubmission.unit_id.is_not(None), ReportSubmission.period.like(f"{year}%")
            )
        ).all()
    }
    kinds = {kind for rule in DEADLINE_RULES if rule.obligor == ObligorKind.UNIT for kind in rule.unit_kinds}
    units = session.scalars(select(Unit).where(Unit.kind.in_(kinds)).order_by(Unit.id)).all()
    found: list[Obligation] = []
    for unit in units:
        if scope is not None and unit.id not in scope:
            continue
        rules = book.rules(territory.authority_chain(unit.id), year)
        for rule in rules.values():
            if rule.obligor != ObligorKind.UNIT or not rule.enabled or unit.kind not in rule.unit_kinds:
                continue
            for occurrence in rule.occurrences(year):
                if not _in_window(occurrence.last_day, window) or not unit.is_valid_on(occurrence.last_day):
                    continue
                if (rule.code, occurrence.period, unit.id) in submitted:
                    continue
                supervisor = territory.supervising(unit.id, occurrence.last_day)
                found.append(
                    Obligation(
                        key=f"{rule.code}:{occurrence.period}:unit:{unit.id}",
                        rule=rule,
                        occurrence=occurrence,
                        obligor_kind=ObligorKind.UNIT,
                        obligor_name=unit_label(unit),
                        link_path=f"/don-vi/{unit.id}",
                        remind=people.unit_officers(unit.id),
                        escalate_to=people.coordinators(supervisor.id if supervisor else None),
                        supervisor_name=unit_label(supervisor) if supervisor else None,
                        unit_id=unit.id,
                    )
                )
    return found


def _department_obligations(
    session: Session,
    territory: Territory,
    book: RuleBook,
    people: _People,
    year: int,
    window: tuple[dt.date, dt.date] | None,
    scope: set[int] | None,
) -> list[Obligation]:
    owners = set(session.scalars(select(Ownership.department_id).where(Ownership.year == year).distinct()).all())
    submitted = {
        (code, period, department_id)
        for code, period, department_id in session.execute(
            select(ReportSubmission.obligation_code, ReportSubmission.period, ReportSubmission.department_id).where(
                ReportSubmission.department_id.is_not(None), ReportSubmission.period.like(f"{year}%")
            )
        ).all()
    }
    departments = session.scalars(
        select(Department).options(selectinload(Department.unit)).order_by(Department.id)
    ).all()
    found: list[Obligation] = []
    for department in departments:
        unit = department.unit
        if scope is not None and unit.id not in scope:
            continue
        rules = book.rules(territory.authority_chain(department.unit_id), year)
        for rule in rules.values():
            if rule.obligor != ObligorKind.DEPARTMENT or not rule.enabled or unit.kind not in rule.unit_kinds:
                continue
            if rule.requires_ownership and department.id not in owners:
                continue
            for occurrence in rule.occurrences(year):
                if not _in_window(occurrence.last_day, window) or not unit.is_valid_on(occurrence.last_day):
                    continue
                if (rule.code, occurrence.period, department.id) in submitted:
                    continue
                found.append(
                    Obligation(
                        key=f"{rule.code}:{occurrence.period}:department:{department.id}",
                        rule=rule,
                        occurrence=occurrence,
                        obligor_kind=ObligorKind.DEPARTMENT,
                        obligor_name=department_label(department),
                        link_path=f"/don-vi/{unit.id}",
                        remind=people.department_officers(department.id),
                        escalate_to=people.coordinators(unit.id),
                        supervisor_name=unit_label(unit),
                        department_id=department.id,
                    )
                )
    return found


def _dossier_open(dossier: Dossier, milestone: str) -> bool:
    try:
        procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
    except UnknownProcedure:
        return False
    if dossier.state in procedure.definition.abandoned:
        return False
    return not milestone_reached(dossier.level, dossier.state, milestone, dossier.kind, dossier.route)


def _dossier_obligations(
    session: Session,
    territory: Territory,
    book: RuleBook,
    people: _People,
    year: int,
    window: tuple[dt.date, dt.date] | None,
    scope: set[int] | None,
) -> list[Obligation]:
    dossiers: Sequence[Dossier] = session.scalars(
        select(Dossier)
        .options(selectinload(Dossier.unit), selectinload(Dossier.authority_unit))
        .where(Dossier.year == year, Dossier.kind == DossierKind.RECOGNITION)
        .order_by(Dossier.id)
    ).all()
    found: list[Obligation] = []
    for dossier in dossiers:
        if scope is not None and dossier.unit_id not in scope:
            continue
        rules = book.rules(territory.authority_chain(dossier.unit_id), year)
        for rule in rules.values():
            if rule.obligor != ObligorKind.DOSSIER or not rule.enabled or dossier.level not in rule.levels:
                continue
            if rule.milestone is None or not _dossier_open(dossier, rule.milestone):
                continue
            for occurrence in rule.occurrences(dossier.year):
                if not _in_window(occurrence.last_day, window) or not dossier.unit.is_valid_on(occurrence.last_day):
                    continue
                level = RecognitionLevel(dossier.level)
                found.append(
                    Obligation(
                        key=f"{rule.code}:{occurrence.period}:dossier:{dossier.id}",
                        rule=rule,
                        occurrence=occurrence,
                        obligor_kind=ObligorKind.DOSSIER,
                        obligor_name=f"{unit_label(dossier.unit)} — hồ sơ {_level_short(level)} năm {dossier.year}",
                        link_path=f"/ho-so/{dossier.id}",
                        remind=people.unit_officers(dossier.unit_id),
                        escalate_to=people.coordinators(dossier.authority_unit_id),
                        supervisor_name=unit_label(dossier.authority_unit),
                        unit_id=dossier.unit_id,
                        dossier_id=dossier.id,
                    )
                )
    return found


def _level_short(level: RecognitionLevel) -> str:
    return {
        RecognitionLevel.COMMUNE_NTM: "xã NTM",
        RecognitionLevel.COMMUNE_ADVANCED: "xã NTM nâng cao",
        RecognitionLevel.COMMUNE_MODEL: "xã NTM kiểu mẫu",
    }.get(level, level.value)


def appraisal_days(book: RuleBook, chain: tuple[int, ...], dossier: Dossier, procedure: Procedure) -> int | None:
    """The working days a department has to answer its appraisal task on `dossier` (whose unit's authorities
    are `chain`, `Territory.authority_chain`): the province's own figure when it set one, else the procedure's
    step limit; None when the rule is switched off."""
    rule = book.rules(chain, dossier.year)["appraisal"]
    if not rule.enabled:
        return None
    if rule.working_days is not None:
        return rule.working_days
    limit = step_limit(procedure, procedure.definition.submitted_state, UnitKind(dossier.authority_unit.kind))
    return None if limit is None else limit.value


def _appraisal_obligations(
    session: Session,
    territory: Territory,
    book: RuleBook,
    people: _People,
    calendar: WorkingCalendar,
    years: set[int],
    window: tuple[dt.date, dt.date] | None,
    scope: set[int] | None,
) -> list[Obligation]:
    """Open appraisal tasks (`dossiers.procedure_facts.open_appraisal_tasks`) of the years' dossiers,
    due `limit` working days after the day they opened.

    A department's task reminds its officers and escalates to the authority's coordinators; a task
    of the fallback seat (indicators no department owns) reminds the holders of that role and
    escalates to the authority's chairman.
    """
    tasks = open_appraisal_tasks(session)
    if not tasks:
        return []
    dossiers = {
        d.id: d
        for d in session.scalars(
            select(Dossier)
            .options(selectinload(Dossier.unit), selectinload(Dossier.authority_unit))
            .where(Dossier.id.in_({t.dossier_id for t in tasks}), Dossier.year.in_(years))
        ).all()
    }
    departments = {
        d.id: d
        for d in session.scalars(
            select(Department)
            .options(selectinload(Department.unit))
            .where(Department.id.in_({t.department_id for t in tasks if t.department_id is not None}))
        ).all()
    }
    found: list[Obligation] = []
    for task in tasks:
        dossier = dossiers.get(task.dossier_id)
        if dossier is None:
            continue
        if scope is not None and dossier.unit_id not in scope and dossier.authority_unit_id not in scope:
            continue
        try:
            procedure = procedure_for(dossier.level, dossier.kind, dossier.route)
        except UnknownProcedure:
            continue
        chain = territory.authority_chain(dossier.unit_id)
        rule = book.rules(chain, dossier.year)["appraisal"]
        authority = dossier.authority_unit
        found_days = appraisal_days(book, chain, dossier, procedure)
        if found_days is None:
            continue
        days = found_days
        opened = local_date(task.opened_at)
        last_day = calendar.add_working_days(opened, days)
        if not _in_window(last_day, window):
            continue
        occurrence = occurrence_for_last_day(
            f"{dossier.year}-task-{task.task_id}-r{task.round}",
            f"lần {task.round}, giao ngày {opened:%d/%m/%Y}, {days} ngày làm việc, "
            f"{len(task.indicator_codes)} chỉ tiêu chờ thẩm tra",
            last_day,
        )
        department = departments.get(task.department_id) if task.department_id is not None else None
        if department is not None:
            remind = people.department_officers(department.id)
            escalate = people.coordinators(authority.id)
            obligor = department_label(department)
        else:
            seat = task.fallback_role or Role.COORDINATOR
            remind = people.holders(seat, authority.id)
            escalate = people.holders(Role.APPROVER, authority.id)
            obligor = f"{ROLE_LABELS[seat]} ({unit_label_in_text(authority)})"
        found.append(
            Obligation(
                key=f"appraisal:task:{task.task_id}:r{task.round}",
                rule=rule,
                occurrence=occurrence,
                obligor_kind=ObligorKind.APPRAISAL,
                obligor_name=f"{obligor} — hồ sơ {unit_label(dossier.unit)} năm {dossier.year}",
                link_path=f"/ho-so/{dossier.id}",
                remind=remind,
                escalate_to=escalate,
                supervisor_name=unit_label(authority),
                unit_id=dossier.unit_id,
                department_id=task.department_id,
                dossier_id=dossier.id,
                has_plan_date=False,
            )
        )
    return found
