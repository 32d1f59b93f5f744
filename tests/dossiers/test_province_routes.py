"""A province's procedure model is data: the Sở's appraisal stage (thẩm định, seed 003) for commune dossiers
before the reform, and the hamlet model where the district appraises and decides (seed 000), each chosen by the
province's YAML (`routes:`) and run end to end through the command path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.access import load_actor, seats_of
from dossiers.demo import DemoData, apply_demo_reform
from dossiers.handlers import handle, replayed_state
from dossiers.models import AuditEvent, CriteriaSet, Dossier, ObligationRecord, Recognition, RoleAssignment, User
from dossiers.planning.obligations import reconcile
from dossiers.planning.rules import load_calendar
from dossiers.procedure_facts import procedure_of, tasks_of
from dossiers.regimes import RegimeDataError, parse_figures, province_figures, regime_of
from dossiers.reorganisation import ReorganisationError
from notifications.obligations import open_obligations
from tests.demo_database import CHEAP_HASH_METHOD, DemoWorld
from tests.dossiers.procedure_world import (
    AFTER,
    BEFORE,
    World,
    assess_all,
    build_world,
    commune_dossier_submitted,
    confirm_conditions,
    later,
)
from workflow.calendar import local_date
from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted
from workflow.permissions import allowed_actions
from workflow.procedures import step_limit
from workflow.vocabulary import RecognitionLevel, Role, UnitKind

DISTRICT_APPRAISERS = ("phong.nn-ptnt", "phong.tn-mt", "phong.hoi-phu-nu", "phong.quan-su", "phong.cong-an", "dieuphoi")


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, BEFORE)


@pytest.fixture
def province_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A deployment's folder of province files (`NTM_PROVINCE_FIGURES`), read afresh by the test."""
    monkeypatch.setenv("NTM_PROVINCE_FIGURES", str(tmp_path))
    province_figures.cache_clear()
    yield tmp_path
    province_figures.cache_clear()


def actions_of(session: Session, user: User, now: dt.datetime, dossier: Dossier) -> list[str]:
    actor = load_actor(session, user, now)
    return list(allowed_actions(procedure_of(dossier), dossier.state, actor, seats_of(session, dossier)))


def named(session: Session, world: World, province: str) -> None:
    world.province.name = province
    session.flush()


def appraised_by_the_district(session: Session, world: World, dossier: Dossier, now: dt.datetime) -> None:
    for name in DISTRICT_APPRAISERS:
        handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    confirm_conditions(session, world, dossier, later(now, 1))


# --- the Sở's appraisal stage --------------------------------------------------------------------------------


def test_hai_duong_goes_district_then_so_with_a_supplement_then_chairman(session: Session, world: World) -> None:
    named(session, world, "Hải Dương")  # the shipped dossiers/data/regimes/hai-duong.yaml (seed 003)
    dossier = commune_dossier_submitted(session, world, BEFORE)
    assert dossier.route == "commune-via-district-and-province"
    assert (dossier.authority_unit_id, dossier.decider_unit_id) == (world.district.id, world.province.id)
    now = later(BEFORE, 40)
    appraised_by_the_district(session, world, dossier, now)

    # the district forwards to the Sở, not to the chairman
    handle(session, world.user("dieuphoi"), later(now, 2), c.Forward(dossier_id=dossier.id))
    assert dossier.state == "provincial_appraisal"
    assert actions_of(session, world.user("dieuphoi.tinh"), later(now, 2), dossier) == [
        "appraise_at_province",
        "request_supplement",
    ]
    with pytest.raises(ActionNotAllowed):
        handle(session, world.user("chutich.tinh"), later(now, 3), c.Recognise(dossier_id=dossier.id))
    with pytest.raises(NotPermitted):
        handle(session, world.user("dieuphoi"), later(now, 3), c.AppraiseAtProvince(dossier_id=dossier.id))
    # its own time limit, from the rules the dossier reads (20 working days, low confidence)
    limit = step_limit(procedure_of(dossier), dossier.state, UnitKind.DISTRICT, regime_of(dossier).rules)
    assert limit is not None and limit.value == 20 and "thẩm định" in limit.source

    # the Sở asks the district for a supplement, saying what
    with pytest.raises(GuardFailed):
        handle(session, world.user("dieuphoi.tinh"), later(now, 5), c.RequestSupplement(dossier_id=dossier.id))
    supplement = "Bổ sung biên bản họp Ban Chỉ đạo huyện và ảnh minh họa tiêu chí 17"
    handle(
        session,
        world.user("dieuphoi.tinh"),
        later(now, 5),
        c.RequestSupplement(dossier_id=dossier.id, comment=supplement),
    )
    assert dossier.state == "supplement_requested"
    with pytest.raises(NotPermitted):
        handle(session, world.user("xa"), later(now, 6), c.ResubmitToProvince(dossier_id=dossier.id))
    with pytest.raises(ActionNotAllowed):
        handle(session, world.user("chutich.tinh"), later(now, 6), c.Recognise(dossier_id=dossier.id))
    assert actions_of(session, world.user("dieuphoi"), later(now, 6), dossier) == ["resubmit_to_province"]
    handle(
        session,
        world.user("dieuphoi"),
        later(now, 8),
        c.ResubmitToProvince(dossier_id=dossier.id, comment="Đã bổ sung biên bản và ảnh"),
    )
    assert dossier.state == "provincial_appraisal"

    # the Sở's appraisal passes: the chairman decides
    handle(session, world.user("dieuphoi.tinh"), later(now, 12), c.AppraiseAtProvince(dossier_id=dossier.id))
    assert dossier.state == "forwarded"
    handle(
        session, world.user("chutich.tinh"), later(now, 14), c.Recognise(dossier_id=dossier.id, decision_number="9/QĐ")
    )
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"
    recognition = session.scalars(select(Recognition).where(Recognition.dossier_id == dossier.id)).one()
    assert (recognition.unit_id, recognition.decision_number) == (world.commune.id, "9/QĐ")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.from_state, e.to_state) for e in events[-5:]] == [
        ("forward", "appraised", "provincial_appraisal"),
        ("request_supplement", "provincial_appraisal", "supplement_requested"),
        ("resubmit_to_province", "supplement_requested", "provincial_appraisal"),
        ("appraise_at_province", "provincial_appraisal", "forwarded"),
        ("recognise", "forwarded", "recognised"),
    ]
    request = next(e for e in events if e.action == "request_supplement")
    assert request.comment == supplement and request.role == "coordinator"


@pytest.mark.parametrize("province", ["Tỉnh Thử", "Cao Bằng"])
def test_a_province_without_the_stage_in_its_data_forwards_to_the_chairman(
    session: Session, world: World, province: str
) -> None:
    """No `routes:` (Cao Bằng: seed 004 says nothing of a thẩm định by the Sở): today's route, unchanged."""
    named(session, world, province)
    dossier = commune_dossier_submitted(session, world, BEFORE)
    assert dossier.route == "commune-via-district"
    now = later(BEFORE, 40)
    appraised_by_the_district(session, world, dossier, now)
    handle(session, world.user("dieuphoi"), later(now, 2), c.Forward(dossier_id=dossier.id))
    assert dossier.state == "forwarded"
    assert "appraise_at_province" not in procedure_of(dossier).actions


def test_after_the_reform_the_stage_gives_way_to_the_provincial_route(session: Session, world: World) -> None:
    named(session, world, "Hải Dương")
    dossier = handle(
        session,
        world.user("xa.moi"),
        AFTER,
        c.Register(
            unit_id=world.new_commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2025,
            criteria_set_id=world.commune_set.id,
        ),
    ).opened()
    assert dossier.route == "commune-to-province"
    assert dossier.authority_unit_id == world.province.id
    assert "provincial_appraisal" not in procedure_of(dossier).states


# --- the hamlet models --------------------------------------------------------------------------------------

HAMLET_MODEL_B = """\
province: "Tỉnh Thử"
figures:
  - regime: "2021-2025"
    first_year: 2025
    last_year: 2025
    source: "thử: xã đăng ký, huyện thẩm định và công nhận (như seed 000)"
    confidence: medium
    routes: [hamlet-via-district]
"""


@pytest.mark.parametrize("model", ["A", "B"])
def test_the_hamlet_model_is_switched_by_data_alone(
    session: Session, world: World, province_data: Path, model: str
) -> None:
    """The same province, the same code: model A (commune appraises, district chairman decides) without a
    `routes:` entry, model B (commune registers, district appraises and decides) with one."""
    if model == "B":
        (province_data / "tinh-thu.yaml").write_text(HAMLET_MODEL_B, encoding="utf-8")
    now = BEFORE
    register = c.Register(
        unit_id=world.hamlet.id, level=RecognitionLevel.HAMLET_NTM, year=2025, criteria_set_id=world.hamlet_set.id
    )
    # model A: the hamlet's board opens its dossier; model B: its commune registers it
    registrar, other = ("thon", "xa") if model == "A" else ("xa", "thon")
    with pytest.raises(NotPermitted, match="đăng ký hồ sơ"):
        handle(session, world.user(other), now, register)
    dossier = handle(session, world.user(registrar), now, register).opened()
    assert dossier.decider_unit_id == world.district.id
    if model == "A":
        assert dossier.route == "hamlet-to-district" and dossier.state == "self_assessment"
        assert dossier.authority_unit_id == world.commune.id
        assess_all(session, world, dossier, later(now, 1), officer="thon")
        handle(session, world.user("thon"), later(now, 2), c.Submit(dossier_id=dossier.id))
        handle(session, world.user("to.thamdinh"), later(now, 5), c.ApproveIndicators(dossier_id=dossier.id))
        start = later(now, 6).date()
        handle(
            session,
            world.user("xa"),
            later(now, 6),
            c.RecordAnnouncement(dossier_id=dossier.id, start=start, end=start + dt.timedelta(days=9)),
        )
        handle(
            session,
            world.user("xa"),
            later(now, 20),
            c.RecordVote(dossier_id=dossier.id, votes_total=20, votes_in_favour=19),
        )
        handle(session, world.user("xa"), later(now, 20), c.Forward(dossier_id=dossier.id))
    else:
        assert dossier.route == "hamlet-via-district" and dossier.state == "registered"
        assert dossier.authority_unit_id == world.district.id
        # the district's coordination office confirms the registration, as it does for communes
        with pytest.raises(NotPermitted):
            handle(session, world.user("xa"), later(now, 1), c.ConfirmRegistration(dossier_id=dossier.id))
        handle(session, world.user("dieuphoi"), later(now, 1), c.ConfirmRegistration(dossier_id=dossier.id))
        # the hamlet's board records its results, the commune reviews them and submits to the district
        assess_all(session, world, dossier, later(now, 2), officer="thon")
        assess_all(session, world, dossier, later(now, 2), officer="xa")
        with pytest.raises(NotPermitted):
            handle(session, world.user("thon"), later(now, 3), c.Submit(dossier_id=dossier.id))
        handle(session, world.user("xa"), later(now, 3), c.Submit(dossier_id=dossier.id))
        # no department of the district owns the hamlet set: its coordination office appraises, not a commune team
        assert [(t.department_id, t.fallback_role) for t in tasks_of(session, dossier)] == [(None, "coordinator")]
        with pytest.raises(NotPermitted):
            handle(session, world.user("to.thamdinh"), later(now, 5), c.ApproveIndicators(dossier_id=dossier.id))
        handle(session, world.user("dieuphoi"), later(now, 5), c.ApproveIndicators(dossier_id=dossier.id))
        assert dossier.state == "appraised"
        # no commune radio announcement, no commune vote
        assert "record_announcement" not in procedure_of(dossier).actions
        handle(session, world.user("dieuphoi"), later(now, 6), c.Forward(dossier_id=dossier.id))
    assert dossier.state == "forwarded"
    handle(session, world.user("chutich.huyen"), later(now, 21), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"


def test_model_b_is_valid_only_before_the_reform(session: Session, world: World, province_data: Path) -> None:
    """After 1/7/2025 there is no district: the hamlet goes to its commune, as the national route says."""
    (province_data / "tinh-thu.yaml").write_text(HAMLET_MODEL_B.replace("first_year: 2025", "first_year: 2024"))
    dossier = handle(
        session,
        world.user("thon.moi"),
        AFTER,
        c.Register(
            unit_id=world.new_hamlet.id,
            level=RecognitionLevel.HAMLET_NTM,
            year=2025,
            criteria_set_id=world.hamlet_set.id,
        ),
    ).opened()
    assert dossier.route == "hamlet-to-commune"
    assert dossier.authority_unit_id == dossier.decider_unit_id == world.new_commune.id


def test_the_shipped_province_models() -> None:
    by_province = {f.province: f for f in province_figures()}
    assert by_province["Hải Dương"].routes == ("commune-via-district-and-province",)
    assert "seed 003" in by_province["Hải Dương"].source.lower()
    assert by_province["Nam Định"].routes == ("hamlet-via-district",)
    assert "seed 000" in by_province["Nam Định"].source.lower()
    assert by_province["Cao Bằng"].routes == ()


def test_a_route_in_data_is_checked() -> None:
    entry = "province: X\nfigures:\n  - {regime: '2021-2025', first_year: 2025, last_year: 2025, source: s, "
    with pytest.raises(RegimeDataError, match="không có quy trình «hamlet-by-magic»"):
        parse_figures(entry + "confidence: low, routes: [hamlet-by-magic]}\n", "x.yaml")
    # a national route is not a variant to choose
    with pytest.raises(RegimeDataError, match="không có quy trình «commune-via-district»"):
        parse_figures(entry + "confidence: low, routes: [commune-via-district]}\n", "x.yaml")
    (parsed,) = parse_figures(entry + "confidence: low, routes: [hamlet-via-district]}\n", "x.yaml")
    assert parsed.routes == ("hamlet-via-district",)


# --- the 1/7/2025 reorganisation -------------------------------------------------------------------------------


def test_the_reorganisation_refuses_a_step_the_national_route_lacks(
    session: Session, demo: DemoData, demo_world: DemoWorld, province_data: Path
) -> None:
    """Cao Bằng switched to model B (data only): a xóm registered but not yet confirmed by the district on 1/7/2025
    cannot keep that step on the commune's route; once confirmed it moves as the national dossiers do."""
    (province_data / "cao-bang-hamlets.yaml").write_text(
        HAMLET_MODEL_B.replace("Tỉnh Thử", "Cao Bằng"), encoding="utf-8"
    )
    hamlet = demo.hamlets["Đức Xuân"][0]
    hamlet_set = session.scalars(select(CriteriaSet).where(CriteriaSet.code == "thon-ntm-cao-bang")).first()
    assert hamlet_set is not None
    # model B: the hamlet's commune registers it
    officer = session.scalars(
        select(User)
        .join(RoleAssignment)
        .where(RoleAssignment.role == Role.UNIT_OFFICER, RoleAssignment.unit_id == hamlet.parent_id)
    ).first()
    assert officer is not None
    opened = handle(
        session,
        officer,
        dt.datetime(2025, 6, 2, 2, 0, tzinfo=dt.UTC),
        c.Register(unit_id=hamlet.id, level=RecognitionLevel.HAMLET_NTM, year=2025, criteria_set_id=hamlet_set.id),
    ).opened()
    assert (opened.route, opened.state, opened.authority_unit_id) == (
        "hamlet-via-district",
        "registered",
        demo.district.id,
    )
    with pytest.raises(ReorganisationError, match=f"hồ sơ {opened.id} .*Đã đăng ký, chờ xác nhận"):
        apply_demo_reform(session, demo, hash_method=CHEAP_HASH_METHOD)
    coordinator = session.scalars(
        select(User)
        .join(RoleAssignment)
        .where(RoleAssignment.role == Role.COORDINATOR, RoleAssignment.unit_id == demo.district.id)
    ).first()
    assert coordinator is not None
    handle(
        session, coordinator, dt.datetime(2025, 6, 3, 2, 0, tzinfo=dt.UTC), c.ConfirmRegistration(dossier_id=opened.id)
    )
    apply_demo_reform(session, demo, hash_method=CHEAP_HASH_METHOD)
    session.expire_all()
    moved = session.get(Dossier, opened.id)
    assert moved is not None
    assert (moved.route, moved.state) == ("hamlet-to-commune", "self_assessment")
    assert moved.authority_unit_id == moved.decider_unit_id == demo.new_communes["Đông Khê"].id


def test_the_sos_appraisal_has_a_stored_obligation_with_its_working_day_limit(session: Session, world: World) -> None:
    """The Sở's stage owes its answer within its limit (20 working days from the district's forwarding, or from the
    resubmission): a stored step obligation of the province's coordinators, met by the Sở's own action."""
    named(session, world, "Hải Dương")
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    appraised_by_the_district(session, world, dossier, now)
    forwarded_at = later(now, 2)
    handle(session, world.user("dieuphoi"), forwarded_at, c.Forward(dossier_id=dossier.id))
    reconcile(session, later(now, 3), years=[dossier.year])

    def steps() -> list[ObligationRecord]:
        session.expire_all()
        return list(
            session.scalars(
                select(ObligationRecord)
                .where(ObligationRecord.dossier_id == dossier.id, ObligationRecord.rule_code == "provincial-appraisal")
                .order_by(ObligationRecord.id)
            )
        )

    (step,) = steps()
    calendar = load_calendar(session)
    assert (step.status, step.seat) == ("open", Role.COORDINATOR)
    assert step.last_day == calendar.add_working_days(local_date(forwarded_at), 20)
    (owed,) = [
        o for o in open_obligations(session, years=[dossier.year], today=local_date(later(now, 3))) if o.key == step.key
    ]
    assert {p.username for p in owed.remind} == {"dieuphoi.tinh"} and {p.username for p in owed.escalate_to} == {
        "chutich.tinh"
    }

    # a supplement request ends this round; the resubmission opens a new one, which the Sở's appraisal meets
    handle(
        session,
        world.user("dieuphoi.tinh"),
        later(now, 5),
        c.RequestSupplement(dossier_id=dossier.id, comment="Bổ sung biên bản họp"),
    )
    handle(session, world.user("dieuphoi"), later(now, 8), c.ResubmitToProvince(dossier_id=dossier.id))
    reconcile(session, later(now, 9), years=[dossier.year])
    first, second = steps()
    assert first.status == "met" and first.met_by == "dossier:request_supplement"
    assert second.status == "open" and second.last_day == calendar.add_working_days(local_date(later(now, 8)), 20)
    handle(session, world.user("dieuphoi.tinh"), later(now, 12), c.AppraiseAtProvince(dossier_id=dossier.id))
    assert [(s.status, s.met_by) for s in steps()][1] == ("met", "dossier:appraise_at_province")
