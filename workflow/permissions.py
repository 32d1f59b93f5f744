"""Who may: the one home of every answer about a person and a dossier. Pure: plain values in, plain
values out, no database. `dossiers.access` loads these values (in a fixed number of queries for a
whole list of dossiers); the command handler, the pages, the reminders and the API ask here.

- A **holding** is one role a person holds, scoped to a unit or to a department of a unit.
- A **person** is someone whose holdings may be used: the signed-in user, or an officer who named
  them substitute for a period covering today (a delegation).
- A dossier's **seats** are the units and departments that relate to it: its own unit (applicant),
  the appraising authority, the deciding unit, the departments owning its indicators, and the
  unit's ancestors (a role anywhere above a unit may read its dossiers).
- A **grant** is a (role, party) pair: what a procedure's action lists as allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from workflow.actions import APPRAISAL_ACTIONS
from workflow.engine import Grant, Party, Procedure
from workflow.errors import GuardFailed, NotPermitted, join_vi
from workflow.rules import DEFAULT_RULES, Rules
from workflow.vocabulary import RecognitionLevel, Role


@dataclass(frozen=True)
class Holding:
    """One role a person holds: scoped to a unit, or to a department (which belongs to a unit)."""

    role: Role
    unit_id: int | None = None
    department_id: int | None = None
    department_unit_id: int | None = None
    department_code: str | None = None


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    holdings: tuple[Holding, ...]

    @property
    def is_admin(self) -> bool:
        return any(h.role == Role.ADMIN for h in self.holdings)

    def department_ids(self) -> frozenset[int]:
        return frozenset(
            h.department_id for h in self.holdings if h.role == Role.DEPARTMENT_OFFICER and h.department_id is not None
        )

    def unit_ids(self) -> frozenset[int]:
        return frozenset(h.unit_id for h in self.holdings if h.unit_id is not None)


@dataclass(frozen=True)
class DelegationWindow:
    """`delegator_id` named the substitute for `starts_on`..`ends_on`, both days included."""

    delegator_id: int
    starts_on: dt.date
    ends_on: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Actor:
    """The signed-in person, then the officers who named them substitute for today, in that order."""

    user: Person
    delegators: tuple[Person, ...] = ()

    @property
    def principals(self) -> tuple[Person, ...]:
        return (self.user, *self.delegators)

    @property
    def is_admin(self) -> bool:
        """Admins manage data and users; they take no workflow action (their holdings grant none)."""
        return self.user.is_admin

    def department_ids(self) -> frozenset[int]:
        return frozenset(d for p in self.principals for d in p.department_ids())

    def unit_ids(self) -> frozenset[int]:
        return frozenset(u for p in self.principals for u in p.unit_ids())

    def delegator(self, user_id: int) -> Person | None:
        return next((p for p in self.delegators if p.user_id == user_id), None)


@dataclass(frozen=True)
class Seats:
    """A dossier as "who may" sees it."""

    unit_id: int
    authority_unit_id: int
    decider_unit_id: int | None
    #: departments of the authority owning an indicator of the dossier (ownership table, and tasks
    #: opened for them: a department keeps its task even if the table changed after submission)
    owning_department_ids: frozenset[int] = frozenset()
    #: the unit and all its ancestors: a role on any of them may read the dossier
    unit_scope: frozenset[int] = frozenset()
    #: the authority and all its ancestors: their departments may read the dossier
    authority_scope: frozenset[int] = frozenset()
    #: the unit whose departments confirm the dossier's conditions (None: the authority; a hamlet's: its
    #: decider, see `Rules.condition_seat`)
    condition_unit_id: int | None = None
    #: the unit right above the applicant (a hamlet's commune or town): `Party.SUPERIOR`
    superior_unit_id: int | None = None

    @property
    def confirming_unit_id(self) -> int:
        return self.authority_unit_id if self.condition_unit_id is None else self.condition_unit_id


@dataclass(frozen=True)
class TaskSeat:
    """An appraisal task as "who may" sees it."""

    task_id: int
    label: str
    department_id: int | None
    #: for a task no department owns: the role of the authority that answers it
    fallback_role: Role | None
    codes: frozenset[str]
    pending: bool


# --- grants ------------------------------------------------------------------------------------------


def seat_grants(
    person: Person,
    *,
    unit_id: int,
    authority_unit_id: int | None,
    decider_unit_id: int | None,
    superior_unit_id: int | None = None,
) -> set[Grant]:
    """Grants from roles scoped to units: the applicant's, the authority's, the decider's and the superior's
    (the unit right above the applicant) seats. Roles on other units (a farther ancestor, a neighbour) give
    nothing: each seat is one unit."""
    grants: set[Grant] = set()
    for holding in person.holdings:
        if holding.role == Role.ADMIN or holding.unit_id is None:
            continue
        if holding.unit_id == unit_id:
            grants.add(Grant(holding.role, Party.APPLICANT))
        if holding.unit_id == authority_unit_id:
            grants.add(Grant(holding.role, Party.AUTHORITY))
        if decider_unit_id is not None and holding.unit_id == decider_unit_id:
            grants.add(Grant(holding.role, Party.DECIDER))
        if superior_unit_id is not None and holding.unit_id == superior_unit_id:
            grants.add(Grant(holding.role, Party.SUPERIOR))
    return grants


def grants_of(person: Person, seats: Seats, rules: Rules = DEFAULT_RULES) -> frozenset[Grant]:
    """The (role, party) pairs `person` holds towards the dossier."""
    grants = seat_grants(
        person,
        unit_id=seats.unit_id,
        authority_unit_id=seats.authority_unit_id,
        decider_unit_id=seats.decider_unit_id,
        superior_unit_id=seats.superior_unit_id,
    )
    for holding in person.holdings:
        if holding.role == Role.ADMIN or holding.department_id is None:
            continue
        of_authority = holding.department_unit_id == seats.authority_unit_id
        if of_authority and holding.department_id in seats.owning_department_ids:
            grants.add(Grant(holding.role, Party.OWNING_DEPARTMENT))
        if (
            holding.department_unit_id == seats.confirming_unit_id
            and holding.department_code
            and rules.conditions_confirmed_by(holding.department_code)
        ):
            grants.add(Grant(holding.role, Party.CONDITION_DEPARTMENT))
    return frozenset(grants)


def all_grants(actor: Actor, seats: Seats, rules: Rules = DEFAULT_RULES) -> frozenset[Grant]:
    """What the actor holds towards the dossier, their own grants and those of whom they substitute for."""
    return frozenset(g for person in actor.principals for g in grants_of(person, seats, rules))


def choose_principal(
    actor: Actor, grants: Callable[[Person], Collection[Grant]], allows: Callable[[Collection[Grant]], bool]
) -> tuple[Person, Collection[Grant]]:
    """Whose grants the actor uses: their own when they allow the action, else those of the first
    officer who named them substitute for today and whose grants allow it; else their own."""
    own = grants(actor.user)
    if allows(own):
        return actor.user, own
    for delegator in actor.delegators:
        theirs = grants(delegator)
        if allows(theirs):
            return delegator, theirs
    return actor.user, own


def allowed_actions(
    procedure: Procedure, state: str, actor: Actor, seats: Seats, rules: Rules = DEFAULT_RULES
) -> tuple[str, ...]:
    """Actions the actor (or someone they substitute for today) may take now, guards not evaluated."""
    return procedure.allowed_actions(state, all_grants(actor, seats, rules))


# --- reading -----------------------------------------------------------------------------------------


def person_may_view(person: Person, seats: Seats) -> bool:
    """Admins; anyone with a role on the dossier's unit or above; officers of the appraising authority's
    departments (or of a unit above it)."""
    for holding in person.holdings:
        if holding.role == Role.ADMIN:
            return True
        if holding.unit_id is not None and holding.unit_id in seats.unit_scope:
            return True
        if holding.department_unit_id is not None and (
            holding.department_unit_id == seats.authority_unit_id or holding.department_unit_id in seats.authority_scope
        ):
            return True
    return False


def may_view(actor: Actor, seats: Seats) -> bool:
    """Read access of the user, or of any officer they substitute for today."""
    return any(person_may_view(person, seats) for person in actor.principals)


def read_roots(actor: Actor) -> frozenset[int] | None:
    """The units whose affairs (and everything under them) the actor may read outside a dossier, such as
    obligations and deadlines: the units they or whom they substitute for hold a role on, and the units of
    their departments. None: everything (an admin)."""
    if actor.is_admin:
        return None
    return frozenset(
        unit
        for person in actor.principals
        for h in person.holdings
        for unit in (h.unit_id, h.department_unit_id)
        if unit is not None
    )


def may_manage(actor: Actor) -> bool:
    """Administration (users, data, the outbox): admins only, never through a delegation."""
    return actor.is_admin


def coordinates(actor: Actor, unit_scope: Collection[int]) -> bool:
    """A coordinator of the unit or of a unit above it (or an admin): who steers and reports on it."""
    return actor.is_admin or any(
        h.role == Role.COORDINATOR and h.unit_id in unit_scope for p in actor.principals for h in p.holdings
    )


#: who watches the progress of an area (the dashboard): its coordination office and its chairman
OVERSEEING_ROLES = frozenset({Role.COORDINATOR, Role.APPROVER})


def overseen_unit_ids(actor: Actor) -> frozenset[int]:
    """Units whose area the actor (or whom they substitute for today) oversees as coordinator or chairman."""
    return frozenset(
        h.unit_id for p in actor.principals for h in p.holdings if h.role in OVERSEEING_ROLES and h.unit_id is not None
    )


def may_oversee(actor: Actor, unit_scope: Collection[int]) -> bool:
    """The coordinator or the chairman of the unit or of a unit above it (or an admin) may see the unit's
    dashboard: the progress of its communes, its deadlines, the decisions waiting."""
    return actor.is_admin or bool(overseen_unit_ids(actor) & set(unit_scope))


# --- appraisal tasks and conditions ------------------------------------------------------------------


def answers_task(person: Person, grants: Collection[Grant], task: TaskSeat) -> bool:
    """The person's department owns the task, or the task has no department and the person holds the
    fallback seat of the authority."""
    if task.department_id is not None:
        return task.department_id in person.department_ids()
    return task.fallback_role is not None and Grant(task.fallback_role, Party.AUTHORITY) in grants


def answerable_tasks(
    actor: Actor, seats: Seats, tasks: Iterable[TaskSeat], actions: Iterable[str], rules: Rules = DEFAULT_RULES
) -> list[TaskSeat]:
    """Tasks with indicators still waiting that the actor (or whom they substitute for) answers."""
    if not APPRAISAL_ACTIONS & set(actions):
        return []
    grants = {p.user_id: grants_of(p, seats, rules) for p in actor.principals}
    return [
        task
        for task in tasks
        if task.pending and any(answers_task(p, grants[p.user_id], task) for p in actor.principals)
    ]


def task_to_answer(
    person: Person,
    grants: Collection[Grant],
    tasks: Sequence[TaskSeat],
    action: str,
    *,
    department_id: int | None = None,
    department_name: str = "",
    codes: Collection[str] = (),
) -> tuple[TaskSeat, Grant]:
    """The task `person` answers with `action`, and the grant they answer it under.

    With several candidates (an officer of two departments, or a department and a fallback seat):
    the one covering `codes`, then the one still waiting; otherwise the person must choose."""
    if department_id is not None:
        if department_id not in person.department_ids():
            raise NotPermitted(action, f"bạn không phải cán bộ của {department_name or 'phòng, ban này'}")
        candidates = [t for t in tasks if t.department_id == department_id]
    else:
        candidates = [t for t in tasks if t.department_id is not None and answers_task(person, grants, t)]
        candidates += [t for t in tasks if t.department_id is None and answers_task(person, grants, t)]
    if not candidates:
        raise NotPermitted(action, "hồ sơ không có nhiệm vụ thẩm tra nào của phòng, ban của bạn")
    if len(candidates) > 1 and codes:
        covering = [t for t in candidates if set(codes) <= t.codes]
        candidates = covering or candidates
    if len(candidates) > 1:
        waiting = [t for t in candidates if t.pending]
        candidates = waiting or candidates
    if len(candidates) > 1:
        raise GuardFailed(action, [f"cần chọn phòng, ban: {join_vi(t.label for t in candidates)}"])
    task = candidates[0]
    if task.department_id is not None:
        return task, Grant(Role.DEPARTMENT_OFFICER, Party.OWNING_DEPARTMENT)
    return task, Grant(task.fallback_role or Role.COORDINATOR, Party.AUTHORITY)


def confirming_department(person: Person, confirming_unit_id: int, condition: str, rules: Rules) -> Holding | None:
    """The person's department of the confirming unit (`Seats.confirming_unit_id`) that confirms `condition`."""
    codes = rules.confirmers_of(condition)
    return next(
        (
            h
            for h in person.holdings
            if h.role == Role.DEPARTMENT_OFFICER
            and h.department_id is not None
            and h.department_unit_id == confirming_unit_id
            and h.department_code in codes
        ),
        None,
    )


def confirmable_conditions(
    actor: Actor, confirming_unit_id: int, rules: Rules = DEFAULT_RULES, level: RecognitionLevel | str | None = None
) -> list[str]:
    """Conditions a department of the actor (or of whom they substitute for) confirms for the dossier:
    with `level`, only those the rules require of that level."""
    found: list[str] = []
    for person in actor.principals:
        for holding in person.holdings:
            if holding.role != Role.DEPARTMENT_OFFICER or holding.department_unit_id != confirming_unit_id:
                continue
            found.extend(
                c
                for c in rules.conditions_confirmed_by(holding.department_code or "")
                if c not in found and (level is None or rules.requires(c, level))
            )
    return found


def offered_actions(
    procedure: Procedure,
    state: str,
    actor: Actor,
    seats: Seats,
    tasks: Iterable[TaskSeat],
    rules: Rules = DEFAULT_RULES,
) -> tuple[str, ...]:
    """What a page offers the actor: the allowed actions, less the appraisal answers when no task of
    theirs is still waiting."""
    actions = allowed_actions(procedure, state, actor, seats, rules)
    if APPRAISAL_ACTIONS & set(actions) and not answerable_tasks(actor, seats, tasks, actions, rules):
        actions = tuple(a for a in actions if a not in APPRAISAL_ACTIONS)
    return actions


def may_record_reassessment(actor: Actor, unit_id: int, unit_scope: Collection[int]) -> bool:
    """The unit's own officer, or a coordinator of the unit or above, records a yearly re-assessment."""
    return any(
        (h.role == Role.UNIT_OFFICER and h.unit_id == unit_id)
        or (h.role == Role.COORDINATOR and h.unit_id in unit_scope)
        for h in actor.user.holdings
    )


#: who writes a unit's own periodic reports
REPORTING_ROLES = (Role.UNIT_OFFICER, Role.COORDINATOR, Role.APPROVER)


def may_report(person: Person, *, unit_id: int | None, department_id: int | None) -> bool:
    """A periodic report is recorded by the unit's officer, coordinator (a district's coordination office writes
    the district's report to the province) or chairman, or by the department's officer (or an admin)."""
    for h in person.holdings:
        if h.role == Role.ADMIN:
            return True
        if unit_id is not None and h.unit_id == unit_id and h.role in REPORTING_ROLES:
            return True
        if department_id is not None and h.department_id == department_id and h.role == Role.DEPARTMENT_OFFICER:
            return True
    return False


def may_set_deadlines(person: Person, authority_unit_id: int) -> bool:
    """An authority's own dates are set by its coordinator (or an admin)."""
    return any(
        h.role == Role.ADMIN or (h.role == Role.COORDINATOR and h.unit_id == authority_unit_id) for h in person.holdings
    )
