"""Who owes what, by when, and who hears about it: the stored open obligations with their people.

Obligations are domain data (`dossiers.planning.obligations`): the commands that meet them mark their
rows and the scheduler's scan reconciles them before planning reminders. This module reads the open
rows of a year (and a window, an area) in a fixed number of queries and adds what people are told:
the obligor's name, the link, who is reminded and to whom it escalates (role holders as of today, with
today's substitutes). Reminders, the dashboard, `ntm deadlines list` and the API all read `open_obligations`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import (
    Delegation,
    Department,
    Dossier,
    ObligationRecord,
    ObligationStatus,
    RoleAssignment,
    Unit,
    User,
)
from dossiers.planning.obligations import RulesInForce, appraisal_days, step_authority_id
from dossiers.planning.rules import RuleBook
from dossiers.territory import AUTHORITY_KINDS, Place, Territory, load_whole_territory
from workflow.deadlines import (
    DeadlineRule,
    ObligorKind,
    Occurrence,
    ReminderPolicy,
    occurrence_for_last_day,
)
from workflow.vocabulary import ROLE_LABELS, UNIT_KIND_LABELS, RecognitionLevel, Role, UnitKind

__all__ = ["Obligation", "Person", "appraisal_days", "open_obligations", "reminder_window"]


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


def _department_label(name: str, unit: Place) -> str:
    return f"{name} ({unit_label_in_text(unit)})"


@dataclass
class _People:
    """Role holders loaded once per scan, and today's substitutes."""

    by_unit: dict[tuple[Role, int], list[Person]]
    by_department: dict[int, list[Person]]
    substitutes: dict[int, list[Person]]

    @classmethod
    def load(cls, session: Session, today: dt.date) -> _People:
        """Two queries, columns only (a national scan reads every role holder)."""
        by_unit: dict[tuple[Role, int], list[Person]] = defaultdict(list)
        by_department: dict[int, list[Person]] = defaultdict(list)
        rows = session.execute(
            select(
                RoleAssignment.role,
                RoleAssignment.unit_id,
                RoleAssignment.department_id,
                User.id,
                User.username,
                User.full_name,
                User.email,
            )
            .join(User, RoleAssignment.user_id == User.id)
            .where(
                User.active.is_(True),
                RoleAssignment.role != Role.ADMIN,
            )
            .order_by(User.id)
        ).all()
        people: dict[int, Person] = {}
        for role, unit_id, department_id, user_id, username, full_name, email in rows:
            person = people.get(user_id)
            if person is None:
                person = people[user_id] = Person(user_id, username, full_name, email)
            if role == Role.DEPARTMENT_OFFICER and department_id is not None:
                by_department[department_id].append(person)
            elif unit_id is not None:
                by_unit[Role(role), unit_id].append(person)
        substitutes: dict[int, list[Person]] = defaultdict(list)
        for delegator_id, user_id, username, full_name, email in session.execute(
            select(Delegation.delegator_id, User.id, User.username, User.full_name, User.email)
            .join(User, User.id == Delegation.substitute_id)
            .where(Delegation.starts_on <= today, Delegation.ends_on >= today, User.active.is_(True))
            .order_by(Delegation.id)
        ).all():
            substitutes[delegator_id].append(Person(user_id, username, full_name, email))
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
    today: dt.date,
    window: tuple[dt.date, dt.date] | None = None,
    within: Unit | Iterable[Unit] | None = None,
    rulebook: RuleBook | None = None,
    territory: Territory | None = None,
) -> list[Obligation]:
    """Every stored obligation of `years` not yet met, sorted by last day: a fixed number of queries.

    `window` keeps only obligations whose last day falls in it (a scan needs only those near today);
    `within` keeps those of a unit (or of any of several units), the units below it and their
    departments. Recipients are the role holders as of `today` (with today's substitutes).
    """
    book = rulebook or RuleBook.load(session)
    territory = territory or load_whole_territory(session)
    scope: set[int] | None = None
    if within is not None:
        roots = [within] if isinstance(within, Unit) else list(within)
        scope = set().union(*(territory.descendant_ids(root.id) for root in roots))
    query = (
        select(
            ObligationRecord.key,
            ObligationRecord.rule_code,
            ObligationRecord.period,
            ObligationRecord.period_label,
            ObligationRecord.year,
            ObligationRecord.obligor_kind,
            ObligationRecord.unit_id,
            ObligationRecord.department_id,
            ObligationRecord.dossier_id,
            ObligationRecord.seat,
            ObligationRecord.last_day,
            ObligationRecord.has_plan_date,
            Dossier.level,
            Dossier.authority_unit_id,
            Dossier.decider_unit_id,
        )
        .outerjoin(Dossier, Dossier.id == ObligationRecord.dossier_id)
        .where(ObligationRecord.status == ObligationStatus.OPEN, ObligationRecord.year.in_(sorted(set(years))))
    )
    if window is not None:
        query = query.where(ObligationRecord.last_day >= window[0], ObligationRecord.last_day <= window[1])
    rows = session.execute(query).all()
    if not rows:
        return []
    departments = {
        department_id: (name, unit_id)
        for department_id, name, unit_id in session.execute(select(Department.id, Department.name, Department.unit_id))
    }
    people = _People.load(session, today)
    rules = RulesInForce(book, territory)
    found: list[Obligation] = []
    for row in rows:
        (key, code, period, label, year, kind_value, unit_id, department_id, dossier_id, seat, last_day, plan_date,
         level, authority_id, decider_id) = row  # fmt: skip
        kind = ObligorKind(kind_value)
        home_id = (
            departments[department_id][1] if department_id is not None and kind == ObligorKind.DEPARTMENT else unit_id
        )
        if home_id is None:
            continue
        # a task or a step is also the business of the authority that owes it
        steps = (ObligorKind.APPRAISAL, ObligorKind.STEP)
        if scope is not None and home_id not in scope and (kind not in steps or authority_id not in scope):
            continue
        if kind == ObligorKind.STEP:
            authority_id = step_authority_id(code, authority_id, decider_id)
        told = _told(
            kind, people, territory, departments, unit_id=unit_id, department_id=department_id, seat=seat,
            year=year, last_day=last_day, level=level, dossier_id=dossier_id, authority_id=authority_id,
        )  # fmt: skip
        found.append(
            Obligation(
                key=key,
                rule=rules.of(home_id, year)[code],
                occurrence=occurrence_for_last_day(period, label, last_day),
                obligor_kind=kind,
                obligor_name=told.obligor_name,
                link_path=told.link_path,
                remind=told.remind,
                escalate_to=told.escalate_to,
                supervisor_name=told.supervisor_name,
                unit_id=unit_id if kind != ObligorKind.DEPARTMENT else None,
                department_id=department_id,
                dossier_id=dossier_id,
                has_plan_date=plan_date,
            )
        )
    found.sort(key=lambda o: (o.last_day, o.obligor_name, o.rule.code, o.key))
    return found


@dataclass(frozen=True)
class _Told:
    obligor_name: str
    link_path: str
    remind: tuple[Person, ...]
    escalate_to: tuple[Person, ...]
    supervisor_name: str | None


def _told(
    kind: ObligorKind,
    people: _People,
    territory: Territory,
    departments: dict[int, tuple[str, int]],
    *,
    unit_id: int | None,
    department_id: int | None,
    seat: str | None,
    year: int,
    last_day: dt.date,
    level: str | None,
    dossier_id: int | None,
    authority_id: int | None,
) -> _Told:
    """Who an obligation is about and who hears of it.

    A unit's report reminds its officers and escalates to the coordinators of the unit it reports to
    on the last day; a department's report escalates to its own unit's coordinators; a dossier's
    milestone to the authority's. A department's appraisal task reminds its officers and escalates to
    the authority's coordinators; a seat's task or step (the fallback appraiser, the coordinator who
    confirms a registration, the chairman who decides) reminds the seat's holders and escalates to the
    authority's chairman, or for the chairman's own decision to the authority's coordinators.
    """
    if kind == ObligorKind.UNIT and unit_id is not None:
        supervisor = territory.supervising(unit_id, last_day)
        unit = territory[unit_id]
        # a district's report is prepared by its coordinating office (Phòng Nông nghiệp, the VP điều phối)
        owes_as_authority = unit.kind in AUTHORITY_KINDS
        return _Told(
            unit_label(unit),
            f"/don-vi/{unit_id}",
            people.coordinators(unit_id) if owes_as_authority else people.unit_officers(unit_id),
            people.coordinators(supervisor.id if supervisor else None),
            unit_label(supervisor) if supervisor else None,
        )
    if kind == ObligorKind.DEPARTMENT and department_id is not None:
        name, home_id = departments[department_id]
        home = territory[home_id]
        return _Told(
            _department_label(name, home),
            f"/don-vi/{home_id}",
            people.department_officers(department_id),
            people.coordinators(home_id),
            unit_label(home),
        )
    if unit_id is None or authority_id is None or dossier_id is None:
        raise ValueError(f"obligation of kind {kind} without its unit, authority or dossier")
    unit, authority = territory[unit_id], territory[authority_id]
    if kind == ObligorKind.DOSSIER:
        level_name = _level_short(RecognitionLevel(level)) if level else ""
        return _Told(
            f"{unit_label(unit)} — hồ sơ {level_name} năm {year}",
            f"/ho-so/{dossier_id}",
            people.unit_officers(unit_id),
            people.coordinators(authority_id),
            unit_label(authority),
        )
    if department_id is not None:
        name, home_id = departments[department_id]
        remind = people.department_officers(department_id)
        escalate = people.coordinators(authority_id)
        obligor = _department_label(name, territory[home_id])
    else:
        role = Role(seat or Role.COORDINATOR)
        remind = people.holders(role, authority_id)
        escalate = people.holders(Role.COORDINATOR if role == Role.APPROVER else Role.APPROVER, authority_id)
        obligor = f"{ROLE_LABELS[role]} ({unit_label_in_text(authority)})"
    return _Told(
        f"{obligor} — hồ sơ {unit_label(unit)} năm {year}",
        f"/ho-so/{dossier_id}",
        remind,
        escalate,
        unit_label(authority),
    )


def _level_short(level: RecognitionLevel) -> str:
    return {
        RecognitionLevel.COMMUNE_NTM: "xã NTM",
        RecognitionLevel.COMMUNE_ADVANCED: "xã NTM nâng cao",
        RecognitionLevel.COMMUNE_MODEL: "xã NTM kiểu mẫu",
    }.get(level, level.value)
