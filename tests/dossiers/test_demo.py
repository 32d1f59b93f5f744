"""The demo loads a real-looking district and a province without districts, and loading twice changes nothing.

Loading from an empty database is `test_demo_is_idempotent`; the other tests read the demo loaded
once per session by the same `load_demo` (the `demo` fixture).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.demo import DemoData, load_demo
from dossiers.models import Department, Dossier, Ownership, Recognition, Unit, User
from tests.demo_database import DemoWorld
from workflow.vocabulary import RecognitionLevel, Role, UnitKind

NOW = dt.datetime(2025, 1, 2, 2, 0, tzinfo=dt.UTC)


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
    assert states == {
        "Đức Xuân": "under_appraisal",
        "Lê Lợi": "consultation",
        "Vân Trình": "self_assessment",
        "Lê Lai": "forwarded",
        "Đức Long": "returned",
    }
    assert all(replayed_state(session, d) == d.state for d in dossiers)
    assert all(d.route == "commune-via-district" and d.authority_unit is demo.district for d in dossiers)
    assert [d.id for d in load_demo_dossiers(session, demo)] == [d.id for d in dossiers]


# --- true to seed 004 --------------------------------------------------------------------------------

#: seed 004 (Kế hoạch NTM huyện Thạch An năm 2025), mục II.2.a, verbatim
SEED_RECOGNISED = (
    "Duy trì và củng cố các tiêu chí nông thôn mới 02 xã (Lê Lai, Đức Long) "
    "đã được công nhận đạt chuẩn nông thôn mới giai đoạn 2016-2020."
)
SEED_TARGETS = "Phấn đấu năm 2025 có 03 xã đạt chuẩn nông thôn mới: xã Đức Xuân; xã Lê Lợi, xã Vân Trình."
SEED_HAMLETS = "xã Đức Xuân: 05 xóm; xã Vân Trình: 09 xóm; xã Lê Lợi: 06 xóm"
SEED_MODEL_HAMLETS = "xã Lê Lai: 01 xóm trở lên; xã Đức Long: 01 xóm"


def _names(text: str) -> set[str]:
    inside = re.search(r"\(([^)]*)\)", text)
    if inside and "xã" not in inside.group(1):
        return {name.strip() for name in inside.group(1).split(",")}
    return {name.strip(" .;") for name in re.findall(r"xã ([^;,.:]+)", text.split(":", 1)[1])}


def test_the_2025_targets_and_prior_recognitions_are_seed_004s(session: Session, demo_today: DemoWorld) -> None:
    from dossiers.demo_dossiers import _scenarios

    demo = load_demo(session, NOW, reform=False)  # finds everything: the seed's data as the demo reads it
    assert _names(SEED_TARGETS) == {"Đức Xuân", "Lê Lợi", "Vân Trình"}
    assert set(demo.targets["commune-ntm"]) == _names(SEED_TARGETS)
    assert set(demo.targets["commune-advanced"]) == _names(SEED_RECOGNISED) == {"Lê Lai", "Đức Long"}
    hamlets = {name: int(n) for name, n in re.findall(r"xã ([^:;]+): (\d+) xóm", SEED_HAMLETS)}
    assert demo.targets["hamlet-ntm"] == hamlets == {"Đức Xuân": 5, "Vân Trình": 9, "Lê Lợi": 6}
    models = {name: int(n) for name, n in re.findall(r"xã ([^:;]+): (\d+) xóm", SEED_MODEL_HAMLETS)}
    assert demo.targets["hamlet-model"] == models

    # the recognitions held before 2021: exactly the seed's two communes, NTM, in 2016-2020
    prior = session.scalars(
        select(Recognition).where(Recognition.dossier_id.is_(None), Recognition.reorganisation_id.is_(None))
    ).all()
    assert {r.unit.name for r in prior} == _names(SEED_RECOGNISED)
    assert all(r.level == RecognitionLevel.COMMUNE_NTM and 2016 <= r.year <= 2020 for r in prior)
    # the 2025 NTM dossiers are the seed's three targets; the nâng cao ones its two recognised communes
    by_level = {
        level: {s.unit.name for s in _scenarios(demo) if s.level == level}
        for level in (RecognitionLevel.COMMUNE_NTM, RecognitionLevel.COMMUNE_ADVANCED)
    }
    assert by_level[RecognitionLevel.COMMUNE_NTM] == _names(SEED_TARGETS)
    assert by_level[RecognitionLevel.COMMUNE_ADVANCED] == _names(SEED_RECOGNISED)
    dossiers = {name: session.get(Dossier, dossier_id) for name, dossier_id in demo_today.dossiers.items()}
    assert {name for name, d in dossiers.items() if d and d.year == 2025 and d.level == "commune-ntm"} == _names(
        SEED_TARGETS
    )
    # nothing in the 2025 demo is recognised NTM (the seed's contradiction of the old demo)
    assert not session.scalars(select(Recognition).where(Recognition.dossier_id.is_not(None))).all()


def test_the_demo_today_runs_on_the_province_route_and_has_a_2026_cycle(
    session: Session, demo_today: DemoWorld
) -> None:
    dossiers = {name: session.get(Dossier, dossier_id) for name, dossier_id in demo_today.dossiers.items()}
    assert all(d is not None and d.route == "commune-to-province" for d in dossiers.values())
    assert {name: d.unit.name for name, d in dossiers.items() if d} == {
        "Đức Xuân": "Đông Khê",
        "Lê Lợi": "Đức Long",
        "Vân Trình": "Thạch An",
        "Lê Lai": "Thạch An",
        "Đức Long": "Đức Long",
        "Canh Tân 2026": "Canh Tân",
        "Kim Đồng 2026": "Kim Đồng",
    }
    cycle = dossiers["Canh Tân 2026"]
    assert cycle is not None and cycle.year == 2026 and cycle.criteria_set.code == "xa-ntm-2026"
    assert cycle.state == "self_assessment" and cycle.unit.commune_group == "nhom-3"


def test_loading_the_whole_demo_again_changes_nothing(session: Session, demo_today: DemoWorld) -> None:
    from dossiers.demo_dossiers import load_demo_story
    from dossiers.models import AuditEvent, Reorganisation

    def counts() -> tuple[int, ...]:
        return (
            *_counts(session),
            session.scalar(select(func.count()).select_from(Dossier)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            session.scalar(select(func.count()).select_from(Reorganisation)) or 0,
            session.scalar(select(func.count()).select_from(Recognition)) or 0,
        )

    before = counts()
    demo = load_demo(session, NOW, reform=False)
    story = load_demo_story(session, demo)
    assert {name: d.id for name, d in story.items()} == demo_today.dossiers
    assert counts() == before
    assert before[-2] == 1  # the reorganisation, applied once
