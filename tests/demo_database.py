"""The demo, loaded once per test session into a database of its own (see the `demo` fixtures in conftest.py).

Loading the demo takes seconds (criteria sets, ownership tables, a hundred accounts) and its 2025
dossiers many more, since they are made by the real services. So each is loaded once, committed, into
a database next to the (empty) test database; a test that asks for it runs in a transaction on that
database, rolled back afterwards like every test, and gets the demo's objects re-read by id in its
own session. Tests that load the demo themselves (or need an empty database) are not affected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dossiers.demo import DemoData, load_demo
from dossiers.demo_dossiers import load_demo_dossiers, load_demo_story
from dossiers.models import CriteriaSet, Department, Unit, User

#: when the demo is loaded: the start of 2025 (the dossiers carry their own dates)
LOADED_AT = dt.datetime(2025, 1, 2, 2, 0, tzinfo=dt.UTC)
#: one PBKDF2 round: signing in checks the demo password for real, without scrypt's cost on every sign-in
CHEAP_HASH_METHOD = "pbkdf2:sha256:1"


@dataclass(frozen=True)
class DemoIds:
    """The ids behind a `DemoData`, to find its objects again in another session."""

    province: int
    district: int
    communes: dict[str, int]
    hamlets: dict[str, list[int]]
    departments: dict[str, int]
    new_communes: dict[str, int]
    province_departments: dict[str, int]
    users: dict[str, int]
    sets: dict[str, int]

    @classmethod
    def of(cls, demo: DemoData) -> DemoIds:
        return cls(
            province=demo.province.id,
            district=demo.district.id,
            communes={name: unit.id for name, unit in demo.communes.items()},
            hamlets={name: [unit.id for unit in units] for name, units in demo.hamlets.items()},
            departments={code: department.id for code, department in demo.departments.items()},
            new_communes={name: unit.id for name, unit in demo.new_communes.items()},
            province_departments={code: department.id for code, department in demo.province_departments.items()},
            users={username: user.id for username, user in demo.users.items()},
            sets={code: criteria_set.id for code, criteria_set in demo.sets.items()},
        )

    def demo_in(self, session: Session) -> DemoData:
        """The demo's objects in `session`, as `load_demo` would return them (a few queries, no loading)."""
        units = {unit.id: unit for unit in session.scalars(select(Unit))}
        departments = {department.id: department for department in session.scalars(select(Department))}
        users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(self.users.values())))}
        sets = {s.id: s for s in session.scalars(select(CriteriaSet).where(CriteriaSet.id.in_(self.sets.values())))}
        return DemoData(
            province=units[self.province],
            district=units[self.district],
            communes={name: units[id_] for name, id_ in self.communes.items()},
            hamlets={name: [units[id_] for id_ in ids] for name, ids in self.hamlets.items()},
            departments={code: departments[id_] for code, id_ in self.departments.items()},
            new_communes={name: units[id_] for name, id_ in self.new_communes.items()},
            province_departments={code: departments[id_] for code, id_ in self.province_departments.items()},
            users={username: users[id_] for username, id_ in self.users.items()},
            sets={code: sets[id_] for code, id_ in self.sets.items()},
        )


@dataclass(frozen=True)
class DemoWorld:
    """The demo with its dossiers (`dossiers.demo_dossiers`): `demo_world` is huyện Thạch An in the first
    half of 2025 (before the reorganisation); `demo_today` the whole story, reorganisation and 2026 included."""

    #: commune name at registration → id of its 2025 dossier; "<merged commune> 2026" → a 2026 dossier
    dossiers: dict[str, int]
    units: dict[str, int]
    new_units: dict[str, int]


@dataclass(frozen=True)
class DemoDatabase:
    """A database holding the demo, committed; `world` is set when the 2025 dossiers are loaded too."""

    engine: Engine
    ids: DemoIds
    world: DemoWorld | None = field(default=None)


def load_demo_database(engine: Engine, *, with_dossiers: bool, today: bool = False) -> DemoDatabase:
    """Load the demo into the empty database behind `engine`, and commit: the structure after the
    reorganisation (no dossiers), the first half of 2025 with its dossiers (`with_dossiers`), or the whole
    story as `ntm demo` loads it (`today`)."""
    with Session(engine) as session:
        world = None
        if today:
            demo = load_demo(session, LOADED_AT, hash_method=CHEAP_HASH_METHOD, reform=False)
            story = load_demo_story(session, demo)
            world = DemoWorld(
                dossiers={name: d.id for name, d in story.items()},
                units={name: unit.id for name, unit in demo.communes.items()},
                new_units={name: unit.id for name, unit in demo.new_communes.items()},
            )
        elif with_dossiers:
            demo = load_demo(session, LOADED_AT, hash_method=CHEAP_HASH_METHOD, reform=False)
            made = load_demo_dossiers(session, demo)
            world = DemoWorld(
                dossiers={d.unit.name: d.id for d in made},
                units={name: unit.id for name, unit in demo.communes.items()},
                new_units={},
            )
        else:
            demo = load_demo(session, LOADED_AT, hash_method=CHEAP_HASH_METHOD)
        session.commit()
        return DemoDatabase(engine=engine, ids=DemoIds.of(demo), world=world)
