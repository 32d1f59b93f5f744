"""The demo loads a real-looking district and a province without districts, and loading twice changes nothing.

Loading from an empty database is `test_demo_is_idempotent`; the other tests read the demo loaded
once per session by the same `load_demo` (the `demo` fixture).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.demo import DemoData, load_demo
from dossiers.models import Department, Ownership, Unit, User
from tests.demo_database import DemoWorld
from workflow.vocabulary import Role, UnitKind


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Unit)) or 0,
        session.scalar(select(func.count()).select_from(Department)) or 0,
        session.scalar(select(func.count()).select_from(User)) or 0,
        session.scalar(select(func.count()).select_from(Ownership)) or 0,
    )


def test_demo_is_idempotent(session: Session, now: dt.datetime) -> None:
    load_demo(session, now)
    first = _counts(session)
    load_demo(session, now)
    assert _counts(session) == first


def test_thach_an_has_13_communes_with_official_codes(demo: DemoData) -> None:
    communes = [unit for unit in demo.district.children if unit.kind == UnitKind.COMMUNE]
    assert len(communes) == 13
    assert demo.district.code == "053" and demo.province.code == "04"
    assert demo.communes["Vân Trình"].code == "01807"
    assert all(unit.region == "TDMNPB" for unit in communes)
    assert demo.district.valid_to == dt.date(2025, 6, 30)


def test_after_the_reform_communes_sit_directly_under_the_province(demo: DemoData) -> None:
    thach_an = demo.new_communes["Thạch An"]
    assert thach_an.parent is demo.province
    assert all(unit.kind != UnitKind.DISTRICT for unit in thach_an.ancestors())
    assert {unit.name for unit in thach_an.predecessors} == {"Vân Trình", "Lê Lai"}
    assert thach_an.commune_group == "nhom-3"
    assert {d.unit for d in demo.province_departments.values()} == {demo.province}


def test_one_user_per_role_signs_in_with_the_demo_password(demo: DemoData) -> None:
    roles = {assignment.role for user in demo.users.values() for assignment in user.roles}
    assert roles == set(Role)
    assert demo.users["phong.nn-ptnt"].roles[0].department is demo.departments["nn-ptnt"]
    assert demo.users["admin"].check_password("ntm-demo-2025")


def test_demo_dossiers_cover_a_spread_of_states_and_load_once(
    session: Session, demo: DemoData, demo_world: DemoWorld
) -> None:
    from dossiers.demo_dossiers import load_demo_dossiers
    from dossiers.handlers import replayed_state

    dossiers = load_demo_dossiers(session, demo)
    assert {d.unit.name: d.id for d in dossiers} == demo_world.dossiers  # the session's load made them
    states = {d.unit.name: d.state for d in dossiers}
    assert states["Lê Lai"] == "recognised"
    assert states["Đức Long"] == "returned"
    assert len(set(states.values())) >= 6
    assert all(replayed_state(session, d) == d.state for d in dossiers)
    thach_an = next(d for d in dossiers if d.unit is demo.new_communes["Thạch An"])
    assert thach_an.authority_unit is demo.province
    assert [d.id for d in load_demo_dossiers(session, demo)] == [d.id for d in dossiers]
