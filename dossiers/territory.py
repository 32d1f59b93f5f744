"""The territory over time: the unit tree with its validity dates and its lineage (formed from /
became), loaded once per request or command. Every walk of the tree goes through here: the seat of
a route, a unit's province or supervisor on a day, the scope a role covers, what a unit became.

`Territory` itself is plain data and pure functions; `load_territory` reads it from the database in
one query per level of the tree (and per generation of lineage), whatever the number of units asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossiers.models.units import Unit, unit_lineage
from workflow.routes import DISTRICT_TIER
from workflow.vocabulary import UnitKind

#: the kinds whose plans and deadlines apply below them (a province, a district while it exists)
AUTHORITY_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.DISTRICT_TOWN)


@dataclass(frozen=True)
class Place:
    """One unit as the tree knows it: what walks need, without the ORM."""

    id: int
    name: str
    kind: UnitKind
    code: str | None
    parent_id: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @classmethod
    def of(cls, unit: Unit) -> Place:
        return cls(unit.id, unit.name, UnitKind(unit.kind), unit.code, unit.parent_id, unit.valid_from, unit.valid_to)


@dataclass
class Territory:
    """The part of the unit tree a request or command needs: places, parents, lineage."""

    places: dict[int, Place] = field(default_factory=dict)
    #: successor id → the ids it was formed from
    formed_from: dict[int, tuple[int, ...]] = field(default_factory=dict)
    #: predecessor id → the ids it became
    became: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def add(self, place: Place) -> None:
        self.places[place.id] = place

    def link(self, successor_id: int, predecessor_id: int) -> None:
        if predecessor_id not in self.formed_from.get(successor_id, ()):
            self.formed_from[successor_id] = (*self.formed_from.get(successor_id, ()), predecessor_id)
        if successor_id not in self.became.get(predecessor_id, ()):
            self.became[predecessor_id] = (*self.became.get(predecessor_id, ()), successor_id)

    def __getitem__(self, unit_id: int) -> Place:
        return self.places[unit_id]

    # --- up the tree ---------------------------------------------------------------------------------

    def ancestors(self, unit_id: int) -> list[Place]:
        """Parents from the nearest up to the province (whatever their dates)."""
        chain: list[Place] = []
        seen = {unit_id}
        node = self.places[unit_id].parent_id if unit_id in self.places else None
        while node is not None and node not in seen and node in self.places:
            seen.add(node)
            chain.append(self.places[node])
            node = self.places[node].parent_id
        return chain

    def ancestor_ids(self, unit_id: int) -> list[int]:
        return [place.id for place in self.ancestors(unit_id)]

    def scope_ids(self, unit_id: int) -> set[int]:
        """The unit and all its ancestors: a role on any of them covers the unit."""
        return {unit_id, *self.ancestor_ids(unit_id)}

    def seat(self, unit_id: int, kinds: Collection[UnitKind], day: dt.date) -> Place | None:
        """The nearest ancestor of the first kind in `kinds` that is valid on `day` (a hamlet's commune,
        a commune's district before 1/7/2025, its province after)."""
        ancestors = [a for a in self.ancestors(unit_id) if a.is_valid_on(day)]
        for kind in kinds:
            for ancestor in ancestors:
                if ancestor.kind == kind:
                    return ancestor
        return None

    def province_of(self, unit_id: int) -> Place | None:
        place = self.places[unit_id]
        if place.kind == UnitKind.PROVINCE:
            return place
        return next((a for a in self.ancestors(unit_id) if a.kind == UnitKind.PROVINCE), None)

    def supervising(self, unit_id: int, day: dt.date) -> Place | None:
        """Who a unit reports to on `day`: its district if it has one then, else its province."""
        if self.places[unit_id].kind == UnitKind.PROVINCE:
            return None
        return self.seat(unit_id, (*DISTRICT_TIER, UnitKind.PROVINCE), day) or self.province_of(unit_id)

    def authority_chain(self, unit_id: int) -> tuple[int, ...]:
        """The province and district above (or equal to) the unit, province first: whose plans apply to it."""
        chain = [self.places[unit_id], *self.ancestors(unit_id)]
        return tuple(p.id for p in reversed(chain) if p.kind in AUTHORITY_KINDS)

    def descendant_ids(self, unit_id: int) -> set[int]:
        """The unit and every unit below it, among the places loaded."""
        children: dict[int, list[int]] = {}
        for place in self.places.values():
            if place.parent_id is not None:
                children.setdefault(place.parent_id, []).append(place.id)
        found = {unit_id}
        stack = [unit_id]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    # --- through time --------------------------------------------------------------------------------

    def is_valid_on(self, unit_id: int, day: dt.date) -> bool:
        """The unit exists on `day`, and so does every unit above it (a dissolved district takes its
        communes with it)."""
        return all(p.is_valid_on(day) for p in (self.places[unit_id], *self.ancestors(unit_id)))

    def all_predecessors(self, unit_id: int) -> list[Place]:
        """Every unit this one was formed from, transitively (for traceable recognitions)."""
        seen: dict[int, Place] = {}
        stack = list(self.formed_from.get(unit_id, ()))
        while stack:
            uid = stack.pop()
            if uid not in seen and uid in self.places:
                seen[uid] = self.places[uid]
                stack.extend(self.formed_from.get(uid, ()))
        return list(seen.values())

    def successors_on(self, unit_id: int, day: dt.date) -> list[Place]:
        """What the unit is on `day`: itself while it exists, else the units it became (followed through
        later reorganisations)."""
        if self.places[unit_id].is_valid_on(day):
            return [self.places[unit_id]]
        found: dict[int, Place] = {}
        stack = list(self.became.get(unit_id, ()))
        seen: set[int] = set()
        while stack:
            uid = stack.pop()
            if uid in seen or uid not in self.places:
                continue
            seen.add(uid)
            if self.places[uid].is_valid_on(day):
                found[uid] = self.places[uid]
            else:
                stack.extend(self.became.get(uid, ()))
        return sorted(found.values(), key=lambda p: p.id)


def load_territory(session: Session, unit_ids: Iterable[int], *, lineage: bool = False) -> Territory:
    """The units, their ancestors and (with `lineage`) what they were formed from and what they became,
    with the ancestors of those: one query per level of the tree and per generation of lineage."""
    territory = Territory()
    frontier = set(unit_ids)
    lineage_done: set[int] = set()
    while frontier:
        rows = session.execute(
            select(Unit.id, Unit.name, Unit.kind, Unit.code, Unit.parent_id, Unit.valid_from, Unit.valid_to).where(
                Unit.id.in_(frontier)
            )
        ).all()
        for uid, name, kind, code, parent_id, valid_from, valid_to in rows:
            territory.add(Place(uid, name, UnitKind(kind), code, parent_id, valid_from, valid_to))
        frontier = {r.parent_id for r in rows if r.parent_id is not None and r.parent_id not in territory.places}
        if lineage:
            asked = {r.id for r in rows} - lineage_done
            lineage_done |= asked
            if asked:
                for successor_id, predecessor_id in session.execute(
                    select(unit_lineage.c.successor_id, unit_lineage.c.predecessor_id).where(
                        or_(unit_lineage.c.successor_id.in_(asked), unit_lineage.c.predecessor_id.in_(asked))
                    )
                ).all():
                    territory.link(successor_id, predecessor_id)
                    frontier |= {successor_id, predecessor_id} - set(territory.places)
    return territory


def load_territory_below(session: Session, root_id: int) -> Territory:
    """The unit and every unit below it, at any date: one query per level of the tree (an area's lists)."""
    territory = Territory()
    columns = (Unit.id, Unit.name, Unit.kind, Unit.code, Unit.parent_id, Unit.valid_from, Unit.valid_to)
    condition = Unit.id == root_id
    while True:
        rows = [
            row for row in session.execute(select(*columns).where(condition)).all() if row.id not in territory.places
        ]
        if not rows:
            return territory
        for uid, name, kind, code, parent_id, valid_from, valid_to in rows:
            territory.add(Place(uid, name, UnitKind(kind), code, parent_id, valid_from, valid_to))
        condition = Unit.parent_id.in_([row.id for row in rows])


def load_whole_territory(session: Session) -> Territory:
    """Every unit and every lineage link: two queries (for lists over the whole country)."""
    territory = Territory()
    for unit in session.execute(
        select(Unit.id, Unit.name, Unit.kind, Unit.code, Unit.parent_id, Unit.valid_from, Unit.valid_to)
    ).all():
        territory.add(Place(unit.id, unit.name, UnitKind(unit.kind), unit.code, unit.parent_id, *unit[5:]))
    for successor_id, predecessor_id in session.execute(
        select(unit_lineage.c.successor_id, unit_lineage.c.predecessor_id)
    ).all():
        territory.link(successor_id, predecessor_id)
    return territory
