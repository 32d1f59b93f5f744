"""Who may, read from the database: the actor, the seats of one dossier or of many, in a fixed number
of queries. The answers themselves live in `workflow.permissions` (pure); nothing here decides.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session, aliased

from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    Criterion,
    Delegation,
    Department,
    Dossier,
    Indicator,
    Ownership,
    RoleAssignment,
    Unit,
    User,
)
from dossiers.models.appraisal import task_label
from dossiers.ownership import applies_to
from dossiers.territory import load_territory, load_territory_below
from workflow import permissions
from workflow.calendar import local_date
from workflow.errors import NotFound, NotPermitted
from workflow.permissions import Actor, Holding, Person, Seats, TaskSeat
from workflow.rules import DEFAULT_RULES, Rules
from workflow.vocabulary import Role


def is_admin(user: User) -> bool:
    """Administration (users, data, the outbox, the calendar): `workflow.permissions.may_manage`."""
    return permissions.may_manage(Actor(person_of(user)))


# --- the actor ---------------------------------------------------------------------------------------


def person_of(user: User) -> Person:
    """The user's holdings as plain values (reads `user.roles` and their departments)."""
    return Person(
        user_id=user.id,
        name=user.full_name,
        holdings=tuple(
            Holding(
                role=Role(a.role),
                unit_id=a.unit_id,
                department_id=a.department_id,
                department_unit_id=a.department.unit_id if a.department is not None else None,
                department_code=a.department.code if a.department is not None else None,
            )
            for a in user.roles
        ),
    )


def load_actor(session: Session, user: User, now: dt.datetime) -> Actor:
    """The user and the officers who named them substitute for today, with every holding: one query
    (a second, for the order of the delegations, only when someone named them substitute)."""
    today = local_date(now)
    # the user and their delegators as one id list: an index lookup each (an OR would scan the table)
    people_ids = union_all(
        select(literal(user.id).label("id")),
        select(Delegation.delegator_id).where(
            Delegation.substitute_id == user.id, Delegation.starts_on <= today, Delegation.ends_on >= today
        ),
    ).subquery()
    role_unit, department_unit = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(
            User.id,
            User.full_name,
            RoleAssignment.role,
            RoleAssignment.unit_id,
            RoleAssignment.department_id,
            Department.unit_id,
            Department.code,
            # a holding acts only while its unit and its department exist (a reorganisation ends them)
            role_unit.valid_from,
            role_unit.valid_to,
            Department.valid_to,
            department_unit.valid_from,
            department_unit.valid_to,
        )
        .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(Department, Department.id == RoleAssignment.department_id)
        .outerjoin(role_unit, role_unit.id == RoleAssignment.unit_id)
        .outerjoin(department_unit, department_unit.id == Department.unit_id)
        .where(User.id.in_(select(people_ids.c.id)))
        .order_by(User.id, RoleAssignment.id)
    ).all()
    names: dict[int, str] = {}
    holdings: dict[int, list[Holding]] = defaultdict(list)
    for row in rows:
        user_id, name, role, unit_id, department_id, department_unit_id, department_code = row[:7]
        dates = cast(tuple[dt.date | None, ...], tuple(row[7:12]))
        unit_from, unit_to, department_to, department_unit_from, department_unit_to = dates
        names[user_id] = name
        in_force = (
            _in_force(today, unit_from, unit_to)
            and _in_force(today, None, department_to)
            and _in_force(today, department_unit_from, department_unit_to)
        )
        if role is not None and in_force:
            holdings[user_id].append(Holding(Role(role), unit_id, department_id, department_unit_id, department_code))
    people = {uid: Person(uid, names[uid], tuple(holdings[uid])) for uid in names}
    own = people.get(user.id) or Person(user.id, user.full_name, ())
    # the order the delegations were made in, as the services always took it
    order = (
        session.scalars(
            select(Delegation.delegator_id)
            .where(Delegation.substitute_id == user.id, Delegation.starts_on <= today, Delegation.ends_on >= today)
            .order_by(Delegation.id)
        ).all()
        if len(people) > 1
        else []
    )
    seen: set[int] = set()
    delegators_in_order = []
    for delegator_id in order:
        if delegator_id in people and delegator_id != user.id and delegator_id not in seen:
            seen.add(delegator_id)
            delegators_in_order.append(people[delegator_id])
    return Actor(own, tuple(delegators_in_order))


def _in_force(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


# --- the territory -----------------------------------------------------------------------------------


def ancestor_ids(session: Session, unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """unit id → its ancestors' ids, nearest first (`dossiers.territory`: one query per level of the tree)."""
    wanted = set(unit_ids)
    territory = load_territory(session, wanted)
    return {uid: territory.ancestor_ids(uid) for uid in wanted}


def descendant_ids(session: Session, root_id: int) -> set[int]:
    """The unit and every unit below it, at any date (`dossiers.territory`: one query per level of the tree)."""
    return load_territory_below(session, root_id).descendant_ids(root_id)


def overseen_areas(session: Session, actor: Actor, kinds: Collection[str]) -> list[Unit]:
    """The units of `kinds` whose area the actor oversees (`workflow.permissions.overseen_unit_ids`);
    every one of them for an admin. One query."""
    query = select(Unit).where(Unit.kind.in_(list(kinds))).order_by(Unit.kind.desc(), Unit.name, Unit.id)
    if not actor.is_admin:
        query = query.where(Unit.id.in_(permissions.overseen_unit_ids(actor)))
    return list(session.scalars(query).all())


def overseen_area(
    session: Session, actor: Actor, unit_id: int | None, kinds: Collection[str]
) -> tuple[Unit, list[Unit]]:
    """The area asked for (the first the actor oversees when none is asked) and every area they oversee, with
    the one asked added. `NotPermitted` when they oversee no area or not that one; `NotFound` when no unit of
    `kinds` has that id. The dashboard page and the API choose an area through this one rule."""
    areas = overseen_areas(session, actor, kinds)
    if not areas:
        raise NotPermitted("oversee", "không điều phối, chỉ đạo địa bàn nào")
    if unit_id is None:
        return areas[0], areas
    area = session.get(Unit, unit_id)
    if area is None or area.kind not in kinds:
        raise NotFound("địa bàn", unit_id)
    if not permissions.may_oversee(actor, load_territory(session, [area.id]).scope_ids(area.id)):
        raise NotPermitted("oversee", f"không điều phối, chỉ đạo địa bàn {area.name}")
    if area not in areas:
        areas.append(area)
    return area, areas


# --- the seats of dossiers ---------------------------------------------------------------------------


def owning_departments(
    session: Session, keys: Collection[tuple[int, int, int, str | None]]
) -> dict[tuple[int, int, int, str | None], frozenset[int]]:
    """(authority unit id, year, criteria set id, outstanding field) → departments owning an indicator of that
    set for a dossier with that outstanding field (kiểu mẫu; None for other levels). One query."""
    if not keys:
        return {}
    authorities = {k[0] for k in keys}
    years = {k[1] for k in keys}
    sets = {k[2] for k in keys}
    rows = session.execute(
        select(
            Ownership.authority_unit_id,
            Ownership.year,
            Criterion.criteria_set_id,
            Ownership.department_id,
            Ownership.outstanding_fields,
        )
        .join(Indicator, Indicator.id == Ownership.indicator_id)
        .join(Criterion, Criterion.id == Indicator.criterion_id)
        .where(
            Ownership.authority_unit_id.in_(authorities),
            Ownership.year.in_(years),
            Criterion.criteria_set_id.in_(sets),
        )
    ).all()
    found: dict[tuple[int, int, int], list[tuple[int, list[Any] | None]]] = defaultdict(list)
    for authority, year, set_id, department_id, fields in rows:
        found[(authority, year, set_id)].append((department_id, fields))
    return {key: frozenset(d for d, fields in found.get(key[:3], ()) if applies_to(fields, key[3])) for key in keys}


def seats_for(
    session: Session, dossiers: Sequence[Dossier], rules: Mapping[int, Rules] | None = None
) -> dict[int, Seats]:
    """The seats of every dossier: a fixed number of queries (ownership, tasks, the tree's levels).
    `rules` (dossier id → its rules, `dossiers.regimes.rules_for_many`) decide whose departments confirm
    the conditions; without them the national default (a hamlet's: its decider's)."""
    if not dossiers:
        return {}
    owners = owning_departments(
        session, {(d.authority_unit_id, d.year, d.criteria_set_id, d.outstanding_field) for d in dossiers}
    )
    tasks: dict[int, set[int]] = defaultdict(set)
    for dossier_id, department_id in session.execute(
        select(AppraisalTask.dossier_id, AppraisalTask.department_id).where(
            AppraisalTask.dossier_id.in_([d.id for d in dossiers]), AppraisalTask.department_id.is_not(None)
        )
    ):
        if department_id is not None:
            tasks[dossier_id].add(department_id)
    chains = ancestor_ids(session, {d.unit_id for d in dossiers} | {d.authority_unit_id for d in dossiers})
    return {
        d.id: Seats(
            unit_id=d.unit_id,
            authority_unit_id=d.authority_unit_id,
            decider_unit_id=d.decider_unit_id,
            owning_department_ids=owners[(d.authority_unit_id, d.year, d.criteria_set_id, d.outstanding_field)]
            | tasks.get(d.id, set()),
            unit_scope=frozenset({d.unit_id, *chains.get(d.unit_id, [])}),
            authority_scope=frozenset({d.authority_unit_id, *chains.get(d.authority_unit_id, [])}),
            condition_unit_id=(rules or {})
            .get(d.id, DEFAULT_RULES)
            .confirming_unit_id(d.level, d.authority_unit_id, d.decider_unit_id),
            superior_unit_id=next(iter(chains.get(d.unit_id, [])), None),
        )
        for d in dossiers
    }


def seats_of(session: Session, dossier: Dossier) -> Seats:
    return seats_for(session, [dossier])[dossier.id]


def task_seats(tasks: Iterable[AppraisalTask], code_of: dict[int, str]) -> list[TaskSeat]:
    """Loaded tasks (with items) as "who may" sees them."""
    return [
        TaskSeat(
            task_id=task.id,
            label=task.label,
            department_id=task.department_id,
            fallback_role=Role(task.fallback_role) if task.fallback_role else None,
            codes=frozenset(code_of.get(item.indicator_id, "") for item in task.items),
            pending=any(item.decision is None for item in task.items),
        )
        for task in tasks
    ]


def pending_task_seats(session: Session, dossier_ids: Collection[int]) -> dict[int, list[TaskSeat]]:
    """dossier id → its appraisal tasks, each with its indicator codes: one query for any number of dossiers."""
    if not dossier_ids:
        return {}
    rows = session.execute(
        select(
            AppraisalTask.id,
            AppraisalTask.dossier_id,
            AppraisalTask.department_id,
            AppraisalTask.fallback_role,
            Department.name,
            Indicator.code,
            AppraisalItem.decision,
        )
        .outerjoin(Department, Department.id == AppraisalTask.department_id)
        .join(AppraisalItem, AppraisalItem.task_id == AppraisalTask.id)
        .join(Indicator, Indicator.id == AppraisalItem.indicator_id)
        .where(AppraisalTask.dossier_id.in_(list(dossier_ids)))
        .order_by(AppraisalTask.id)
    ).all()
    heads: dict[int, tuple[int, int | None, str | None, str | None]] = {}
    items: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for task_id, dossier_id, department_id, fallback_role, department_name, code, decision in rows:
        heads[task_id] = (dossier_id, department_id, fallback_role, department_name)
        items[task_id].append((code, decision))
    found: dict[int, list[TaskSeat]] = defaultdict(list)
    for task_id, (owner_dossier, owner_department, seat_role, seat_name) in heads.items():
        found[owner_dossier].append(
            TaskSeat(
                task_id=task_id,
                label=task_label(seat_name, seat_role),
                department_id=owner_department,
                fallback_role=Role(seat_role) if seat_role else None,
                codes=frozenset(code for code, _ in items[task_id]),
                pending=any(decision is None for _, decision in items[task_id]),
            )
        )
    return found


# --- reading: a convenience over the pure answers ----------------------------------------------------


def may_view(session: Session, user: User, now: dt.datetime, dossier: Dossier, actor: Actor | None = None) -> bool:
    """Read access of the user, or of any officer they substitute for today."""
    return permissions.may_view(actor or load_actor(session, user, now), seats_of(session, dossier))


def viewable(session: Session, actor: Actor, dossiers: Sequence[Dossier]) -> list[Dossier]:
    """The dossiers the actor may read, in the order given: a fixed number of queries."""
    seats = seats_for(session, dossiers)
    return [d for d in dossiers if permissions.may_view(actor, seats[d.id])]
