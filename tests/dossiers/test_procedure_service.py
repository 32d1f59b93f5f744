"""The procedure services on a real database: routes, parallel appraisal, supplements, delegation,
audit, revocation. The small world is in procedure_world.py; the demo walks are in test_procedure_demo.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers import procedure_service as ps
from dossiers.models import AppraisalTask, AuditEvent, Consultation, Dossier, Recognition, SupplementRequest
from dossiers.procedure_facts import open_appraisal_tasks, tasks_of
from tests.dossiers.procedure_world import (
    AFTER,
    BEFORE,
    World,
    assess_all,
    build_world,
    commune_dossier_submitted,
    confirm_conditions,
    consult,
    delegate,
    later,
)
from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted, StaleDossier
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import DossierKind

DISTRICT_APPRAISERS = ("phong.nn-ptnt", "phong.tn-mt", "phong.hoi-phu-nu", "phong.quan-su", "phong.cong-an", "dieuphoi")


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, BEFORE)


def events_of(session: Session, dossier: Dossier) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)))


def owned(session: Session, dossier: Dossier) -> dict[str, list[str]]:
    return {
        (t.department.code if t.department else f"({t.fallback_role})"): [i.indicator.code for i in t.items]
        for t in tasks_of(session, dossier)
    }


def test_walk_before_the_reform_from_registration_to_recognition(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    assert dossier.authority_unit_id == world.district.id
    assert dossier.decider_unit_id == world.province.id
    assert dossier.route == "commune-via-district"
    assert dossier.state == "under_appraisal"
    # one task per owning department for exactly its indicators; 17.8 is shared; 10 has no owner
    assert owned(session, dossier) == {
        "nn-ptnt": ["1", "17.1"],
        "(coordinator)": ["10"],
        "tn-mt": ["17.3", "17.8"],
        "hoi-phu-nu": ["17.8"],
        "quan-su": ["19.1"],
        "cong-an": ["19.2"],
    }
    now = later(BEFORE, 40)
    for name in DISTRICT_APPRAISERS[:-1]:
        ps.approve_indicators(session, world.user(name), now, dossier)
        assert dossier.state == "under_appraisal"
    ps.approve_indicators(session, world.user("dieuphoi"), now, dossier)
    assert dossier.state == "appraised"
    confirm_conditions(session, world, dossier, later(now, 1))
    ps.take_action(session, world.user("dieuphoi"), later(now, 2), dossier, "forward")
    ps.take_action(session, world.user("chutich.tinh"), later(now, 3), dossier, "recognise", decision_number="01/QĐ")
    assert dossier.state == "recognised"
    recognition = session.scalars(select(Recognition).where(Recognition.dossier_id == dossier.id)).one()
    assert (recognition.unit_id, recognition.level, recognition.decision_number) == (
        world.commune.id,
        "commune-ntm",
        "01/QĐ",
    )
    events = events_of(session, dossier)
    assert events[0].action == "register" and events[0].from_state is None
    assert [e.action for e in events[-2:]] == ["forward", "recognise"]
    assert all(e.occurred_at.tzinfo is not None for e in events)
    assert ps.replayed_state(session, dossier) == "recognised"
    completion = next(e for e in events if e.action == "complete_appraisal")
    assert (completion.actor_id, completion.role, completion.to_state) == (None, "system", "appraised")


def test_a_department_may_not_touch_another_departments_indicator(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    before = len(events_of(session, dossier))
    with pytest.raises(NotPermitted) as refused:
        ps.approve_indicators(session, world.user("phong.nn-ptnt"), later(BEFORE, 40), dossier, ["17.3"])
    assert "không phụ trách thẩm tra chỉ tiêu 17.3" in str(refused.value)
    with pytest.raises(NotPermitted):
        ps.return_indicators(session, world.user("phong.cong-an"), later(BEFORE, 40), dossier, {"19.1": "sai"})
    with pytest.raises(NotPermitted):  # finance owns nothing here: no appraisal grant at all
        ps.approve_indicators(session, world.user("phong.tc-kh"), later(BEFORE, 40), dossier)
    assert len(events_of(session, dossier)) == before


def test_a_shared_indicator_needs_both_departments(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    for name in DISTRICT_APPRAISERS:
        if name != "phong.hoi-phu-nu":
            ps.approve_indicators(session, world.user(name), now, dossier)
    # tn-mt approved 17.8, but the women's union owns it too: the appraisal is not complete
    assert dossier.state == "under_appraisal"
    assert [(t.department_id, t.indicator_codes) for t in open_appraisal_tasks(session)] == [
        (world.departments["hoi-phu-nu"].id, ("17.8",))
    ]
    ps.approve_indicators(session, world.user("phong.hoi-phu-nu"), now, dossier, ["17.8"])
    assert dossier.state == "appraised"


def test_returns_make_one_consolidated_request_and_resubmission_reopens_only_those_tasks(
    session: Session, world: World
) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    ps.approve_indicators(session, world.user("phong.nn-ptnt"), now, dossier)
    ps.return_indicators(
        session, world.user("phong.tn-mt"), now, dossier, {"17.3": "Thiếu biên bản kiểm tra nước thải"}
    )
    ps.approve_indicators(session, world.user("phong.tn-mt"), now, dossier, ["17.8"])
    ps.return_indicators(
        session, world.user("phong.cong-an"), now, dossier, {"19.2": "Chưa có xác nhận của Công an tỉnh"}
    )
    for name in ("phong.hoi-phu-nu", "phong.quan-su"):
        ps.approve_indicators(session, world.user(name), now, dossier)
    assert dossier.state == "under_appraisal"  # the coordinator has not answered yet: no drip of requests
    assert ps.supplement_requests(session, dossier) == []
    ps.approve_indicators(session, world.user("dieuphoi"), now, dossier)
    assert dossier.state == "returned"
    (request,) = ps.supplement_requests(session, dossier)
    assert [(i.indicator.code, i.department.code if i.department else None) for i in request.items] == [
        ("17.3", "tn-mt"),
        ("19.2", "cong-an"),
    ]
    assert "Thiếu biên bản kiểm tra nước thải" in request.text and "Chưa có xác nhận của Công an tỉnh" in request.text

    # the commune corrects 17.3 only; evidence for 19.2 counts as answered by resubmitting
    ps.record_assessment(session, world.user("xa"), later(now, 1), dossier, "17.3", met=True, value="đã bổ sung")
    with pytest.raises(NotPermitted):
        ps.take_action(session, world.user("phong.tn-mt"), later(now, 2), dossier, "resubmit")
    event = ps.take_action(session, world.user("xa"), later(now, 2), dossier, "resubmit")
    assert dossier.state == "under_appraisal"
    assert event.payload["reopened"] == {"Phòng tn-mt": ["17.3"], "Phòng cong-an": ["19.2"]}
    tasks = {t.department.code if t.department else None: t for t in tasks_of(session, dossier)}
    assert tasks["tn-mt"].answered_at is None and tasks["tn-mt"].round == 2
    assert tasks["nn-ptnt"].answered_at is not None and tasks["nn-ptnt"].round == 1
    assert [i.decision for i in tasks["tn-mt"].items] == [None, "approved"]  # 17.8's approval kept
    assert request.resolved_at == later(now, 2)
    assert {t.department_id for t in open_appraisal_tasks(session)} == {
        world.departments["tn-mt"].id,
        world.departments["cong-an"].id,
    }
    ps.approve_indicators(session, world.user("phong.tn-mt"), later(now, 3), dossier)
    ps.approve_indicators(session, world.user("phong.cong-an"), later(now, 3), dossier)
    assert dossier.state == "appraised"


def test_a_change_after_approval_reopens_the_approving_task(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    ps.return_indicators(session, world.user("phong.quan-su"), now, dossier, {"19.1": "Thiếu kế hoạch"})
    for name in DISTRICT_APPRAISERS:
        if name != "phong.quan-su":
            ps.approve_indicators(session, world.user(name), now, dossier)
    assert dossier.state == "returned"
    ps.record_assessment(session, world.user("xa"), later(now, 1), dossier, "1", met=True, value="sửa số liệu")
    event = ps.take_action(session, world.user("xa"), later(now, 2), dossier, "resubmit")
    assert event.payload["reopened"] == {"Phòng nn-ptnt": ["1"], "Phòng quan-su": ["19.1"]}


def test_a_failed_guard_writes_nothing(session: Session, world: World) -> None:
    dossier = ps.register_dossier(
        session,
        world.user("xa"),
        BEFORE,
        unit=world.commune,
        level="commune-ntm",
        year=2025,
        criteria_set=world.commune_set,
    )
    ps.take_action(session, world.user("dieuphoi"), later(BEFORE, 1), dossier, "confirm_registration")
    ps.record_assessment(session, world.user("xa"), later(BEFORE, 2), dossier, "1", met=True)
    version, count = dossier.version, len(events_of(session, dossier))
    with pytest.raises(GuardFailed) as failed:
        ps.take_action(session, world.user("xa"), later(BEFORE, 3), dossier, "finish_self_assessment")
    assert "chỉ tiêu 10, 17.1, 17.3, 17.8, 19.1 và 19.2 chưa tự đánh giá" in str(failed.value)
    session.flush()
    assert (dossier.version, len(events_of(session, dossier)), dossier.state) == (version, count, "self_assessment")
    with pytest.raises(ActionNotAllowed) as refused:
        ps.record_posting(
            session,
            world.user("xa"),
            later(BEFORE, 3),
            dossier,
            start=BEFORE.date(),
            end=BEFORE.date(),
            announcements=1,
        )
    assert "Tự đánh giá" in str(refused.value)
    assert session.scalars(select(Consultation)).first() is None
    assert (dossier.version, len(events_of(session, dossier))) == (version, count)


def test_submission_guards_name_thresholds(session: Session, world: World) -> None:
    dossier = ps.register_dossier(
        session,
        world.user("xa"),
        BEFORE,
        unit=world.commune,
        level="commune-ntm",
        year=2025,
        criteria_set=world.commune_set,
    )
    ps.take_action(session, world.user("dieuphoi"), later(BEFORE, 1), dossier, "confirm_registration")
    assess_all(session, world, dossier, later(BEFORE, 2), unmet=("17.3",))
    ps.take_action(session, world.user("xa"), later(BEFORE, 3), dossier, "finish_self_assessment")
    now = later(BEFORE, 30)
    ps.record_posting(
        session, world.user("xa"), now, dossier, start=dt.date(2025, 3, 5), end=dt.date(2025, 3, 14), announcements=3
    )
    ps.record_survey(
        session, world.user("mttq"), now, dossier, households_total=100, households_reached=60, households_satisfied=50
    )
    with pytest.raises(NotPermitted):  # the Front records the survey, not the commune officer
        ps.record_survey(
            session, world.user("xa"), now, dossier, households_total=1, households_reached=1, households_satisfied=1
        )
    ps.record_vote(session, world.user("xa"), now, dossier, votes_total=20, votes_in_favour=17)
    with pytest.raises(GuardFailed) as failed:
        ps.take_action(session, world.user("xa"), now, dossier, "submit")
    assert failed.value.missing == (
        "chỉ tiêu 17.3 chưa đạt chuẩn theo kết quả đánh giá",
        "niêm yết công khai báo cáo mới 10 ngày, cần ít nhất 15 ngày",
        "mới thông báo 3 lần, cần ít nhất 5 lần",
        "lấy ý kiến mới đạt 60 % số hộ, cần ít nhất 70 %",
        "tỷ lệ người dân hài lòng 83,3 %, cần ít nhất 90 %",
        "tỷ lệ đồng ý tại cuộc họp 85 %, cần ít nhất 90 %",
    )
    assert dossier.state == "consultation"


def test_after_the_reform_provincial_departments_appraise(session: Session, world: World) -> None:
    dossier = ps.register_dossier(
        session,
        world.user("xa.moi"),
        AFTER,
        unit=world.new_commune,
        level="commune-ntm",
        year=2025,
        criteria_set=world.commune_set,
    )
    assert (dossier.authority_unit_id, dossier.decider_unit_id, dossier.route) == (
        world.province.id,
        world.province.id,
        "commune-to-province",
    )
    with pytest.raises(NotPermitted):  # the district is gone
        ps.take_action(session, world.user("dieuphoi"), later(AFTER, 1), dossier, "confirm_registration")
    ps.take_action(session, world.user("dieuphoi.tinh"), later(AFTER, 1), dossier, "confirm_registration")
    assess_all(session, world, dossier, later(AFTER, 2), officer="xa.moi")
    ps.take_action(session, world.user("xa.moi"), later(AFTER, 3), dossier, "finish_self_assessment")
    consult(session, world, dossier, later(AFTER, 30), officer="xa.moi", front="mttq.moi")
    ps.take_action(session, world.user("xa.moi"), later(AFTER, 31), dossier, "submit")
    assert owned(session, dossier) == {
        "so-nn-mt": ["1", "17.1", "17.3", "17.8"],
        "(coordinator)": ["10"],
        "so-cong-an": ["19.1", "19.2"],
    }
    now = later(AFTER, 40)
    with pytest.raises(NotPermitted):
        ps.approve_indicators(session, world.user("phong.nn-ptnt"), now, dossier)
    for name in ("so.so-nn-mt", "so.so-cong-an", "dieuphoi.tinh"):
        ps.approve_indicators(session, world.user(name), now, dossier)
    assert dossier.state == "appraised"
    with pytest.raises(NotPermitted):
        ps.confirm_condition(session, world.user("phong.tc-kh"), now, dossier, NO_CONSTRUCTION_DEBT, holds=True)
    confirm_conditions(session, world, dossier, now, finance="so.so-tc-kh", police="so.so-cong-an")
    ps.take_action(session, world.user("dieuphoi.tinh"), later(now, 1), dossier, "forward")
    with pytest.raises(NotPermitted):
        ps.take_action(session, world.user("chutich.xamoi"), later(now, 2), dossier, "recognise")
    ps.take_action(session, world.user("chutich.tinh"), later(now, 2), dossier, "recognise")
    assert dossier.state == "recognised" and ps.replayed_state(session, dossier) == "recognised"


def test_conditions_guard_the_forward_and_only_their_department_confirms(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    for name in DISTRICT_APPRAISERS:
        ps.approve_indicators(session, world.user(name), now, dossier)
    with pytest.raises(NotPermitted) as refused:
        ps.confirm_condition(session, world.user("phong.cong-an"), now, dossier, NO_CONSTRUCTION_DEBT, holds=True)
    assert "tc-kh" in str(refused.value)
    ps.confirm_condition(
        session, world.user("phong.tc-kh"), now, dossier, NO_CONSTRUCTION_DEBT, holds=False, note="Nợ 2 tỷ"
    )
    ps.confirm_condition(session, world.user("phong.cong-an"), now, dossier, NOT_COMPLEX_SECURITY, holds=True)
    with pytest.raises(GuardFailed) as failed:
        ps.take_action(session, world.user("dieuphoi"), now, dossier, "forward")
    assert failed.value.missing == ("không đáp ứng điều kiện «không có nợ đọng xây dựng cơ bản»",)


def test_refusal_needs_a_reason(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    for name in DISTRICT_APPRAISERS:
        ps.approve_indicators(session, world.user(name), now, dossier)
    confirm_conditions(session, world, dossier, now)
    ps.take_action(session, world.user("dieuphoi"), now, dossier, "forward")
    with pytest.raises(GuardFailed, match="cần ghi rõ lý do"):
        ps.take_action(session, world.user("chutich.tinh"), now, dossier, "refuse")
    ps.take_action(session, world.user("chutich.tinh"), now, dossier, "refuse", comment="Chưa đạt tiêu chí 17 thực tế")
    assert dossier.state == "refused"
    assert events_of(session, dossier)[-1].comment == "Chưa đạt tiêu chí 17 thực tế"


def test_delegation_records_who_acted_and_for_whom(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    officer, substitute = world.user("phong.tn-mt"), world.user("pho.phong")
    now = later(BEFORE, 40)
    with pytest.raises(NotPermitted):
        ps.approve_indicators(session, substitute, now, dossier)
    with pytest.raises(NotPermitted, match="không ủy quyền"):
        ps.approve_indicators(session, substitute, now, dossier, on_behalf_of=officer)
    today = dt.date(2025, 4, 12)
    delegate(session, officer, substitute, today - dt.timedelta(days=5), today + dt.timedelta(days=5), now)
    event = ps.approve_indicators(session, substitute, now, dossier, ["17.3"])
    assert (event.actor_id, event.on_behalf_of_id, event.role) == (substitute.id, officer.id, "department_officer")
    item = next(i for t in tasks_of(session, dossier) for i in t.items if i.indicator.code == "17.3" and i.decided_at)
    assert (item.decided_by_id, item.on_behalf_of_id) == (substitute.id, officer.id)
    # the period is over: the substitute no longer acts for the officer
    with pytest.raises(NotPermitted):
        ps.approve_indicators(session, substitute, later(now, 30), dossier, ["17.8"])


def test_expected_version_detects_a_stale_form(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    seen = dossier.version
    ps.approve_indicators(session, world.user("phong.nn-ptnt"), later(BEFORE, 40), dossier)
    assert dossier.version > seen
    count = len(events_of(session, dossier))
    with pytest.raises(StaleDossier):
        ps.approve_indicators(session, world.user("phong.tn-mt"), later(BEFORE, 40), dossier, expected_version=seen)
    assert len(events_of(session, dossier)) == count


def test_registration_checks(session: Session, world: World) -> None:
    with pytest.raises(NotPermitted):
        ps.register_dossier(
            session,
            world.user("xa.hai"),
            BEFORE,
            unit=world.commune,
            level="commune-ntm",
            year=2025,
            criteria_set=world.commune_set,
        )
    with pytest.raises(GuardFailed) as failed:
        ps.register_dossier(
            session,
            world.user("xa"),
            BEFORE,
            unit=world.commune,
            level="commune-ntm",
            year=2025,
            criteria_set=world.hamlet_set,
        )
    assert "không áp dụng" in str(failed.value)
    ps.register_dossier(
        session,
        world.user("xa"),
        BEFORE,
        unit=world.commune,
        level="commune-ntm",
        year=2025,
        criteria_set=world.commune_set,
    )
    with pytest.raises(GuardFailed, match="đã có hồ sơ"):
        ps.register_dossier(
            session,
            world.user("xa"),
            BEFORE,
            unit=world.commune,
            level="commune-ntm",
            year=2025,
            criteria_set=world.commune_set,
        )
    with pytest.raises(GuardFailed, match="không còn hiệu lực"):  # Xã Một was merged on 1/7/2025
        ps.register_dossier(
            session,
            world.user("xa"),
            AFTER,
            unit=world.commune,
            level="commune-ntm",
            year=2026,
            criteria_set=world.commune_set,
        )
    with pytest.raises(GuardFailed, match="không còn cấp huyện"):
        ps.register_dossier(
            session,
            world.user("xa"),
            AFTER,
            unit=world.district,
            level="district-ntm",
            year=2026,
            criteria_set=world.commune_set,
        )


@pytest.mark.parametrize(
    ("now", "hamlet", "officer", "team", "commune_officer", "chairman", "authority", "decider"),
    [
        (BEFORE, "hamlet", "thon", "to.thamdinh", "xa", "chutich.huyen", "commune", "district"),
        (AFTER, "new_hamlet", "thon.moi", "to.thamdinh.moi", "xa.moi", "chutich.xamoi", "new_commune", "new_commune"),
    ],
)
def test_hamlet_procedure_on_both_routes(
    session: Session,
    world: World,
    now: dt.datetime,
    hamlet: str,
    officer: str,
    team: str,
    commune_officer: str,
    chairman: str,
    authority: str,
    decider: str,
) -> None:
    dossier = ps.register_dossier(
        session,
        world.user(officer),
        now,
        unit=getattr(world, hamlet),
        level="hamlet-ntm",
        year=2025,
        criteria_set=world.hamlet_set,
    )
    assert dossier.authority_unit_id == getattr(world, authority).id
    assert dossier.decider_unit_id == getattr(world, decider).id
    assess_all(session, world, dossier, later(now, 1), officer=officer)
    ps.take_action(session, world.user(officer), later(now, 2), dossier, "submit")
    ps.approve_indicators(session, world.user(team), later(now, 5), dossier)
    assert dossier.state == "appraised"
    start = later(now, 6).date()
    ps.record_announcement(
        session, world.user(commune_officer), later(now, 6), dossier, start=start, end=start + dt.timedelta(days=8)
    )
    ps.record_vote(session, world.user(commune_officer), later(now, 20), dossier, votes_total=20, votes_in_favour=18)
    with pytest.raises(GuardFailed, match="mới 9 ngày"):
        ps.take_action(session, world.user(commune_officer), later(now, 20), dossier, "forward")
    ps.record_announcement(
        session, world.user(commune_officer), later(now, 20), dossier, start=start, end=start + dt.timedelta(days=9)
    )
    ps.take_action(session, world.user(commune_officer), later(now, 20), dossier, "forward")
    ps.take_action(session, world.user(chairman), later(now, 21), dossier, "recognise")
    assert dossier.state == "recognised" and ps.replayed_state(session, dossier) == "recognised"


def test_advanced_needs_ntm_which_a_merged_commune_inherits(session: Session, world: World) -> None:
    with pytest.raises(GuardFailed, match="điều kiện tiên quyết"):
        dossier = ps.register_dossier(
            session,
            world.user("xa.moi"),
            AFTER,
            unit=world.new_commune,
            level="commune-advanced",
            year=2025,
            criteria_set=world.advanced_set,
        )
        ps.take_action(session, world.user("dieuphoi.tinh"), later(AFTER, 1), dossier, "confirm_registration")
        assess_all(session, world, dossier, later(AFTER, 2), officer="xa.moi")
        ps.take_action(session, world.user("xa.moi"), later(AFTER, 3), dossier, "finish_self_assessment")
        consult(session, world, dossier, later(AFTER, 30), officer="xa.moi", front="mttq.moi")
        ps.take_action(session, world.user("xa.moi"), later(AFTER, 31), dossier, "submit")
    with pytest.raises(NotPermitted):
        ps.record_prior_recognition(
            session,
            world.user("xa"),
            AFTER,
            unit=world.other_commune,
            level="commune-ntm",
            year=2020,
            decided_on=dt.date(2020, 12, 1),
        )
    ps.record_prior_recognition(
        session,
        world.user("admin"),
        AFTER,
        unit=world.other_commune,
        level="commune-ntm",
        year=2020,
        decided_on=dt.date(2020, 12, 1),
        decision_number="2020/QĐ-UBND",
    )
    dossier = session.scalars(select(Dossier).where(Dossier.level == "commune-advanced")).one()
    ps.take_action(session, world.user("xa.moi"), later(AFTER, 31), dossier, "submit")
    assert dossier.state == "under_appraisal"


def test_a_failing_reassessment_opens_a_revocation_case_that_can_revoke(session: Session, world: World) -> None:
    recognition = ps.record_prior_recognition(
        session,
        world.user("admin"),
        BEFORE,
        unit=world.commune,
        level="commune-ntm",
        year=2023,
        decided_on=dt.date(2023, 12, 1),
    )
    quiet = ps.record_yearly_reassessment(
        session,
        world.user("dieuphoi"),
        BEFORE,
        recognition=recognition,
        year=2024,
        criteria_set=world.commune_set,
        failed_criteria=[1],
    )
    assert quiet.finding is None and quiet.revocation_dossier_id is None
    found = ps.record_yearly_reassessment(
        session,
        world.user("dieuphoi"),
        BEFORE,
        recognition=recognition,
        year=2025,
        criteria_set=world.commune_set,
        failed_criteria=[10, 17],
    )
    assert found.finding is not None and found.key_failed == [10, 17]
    case = session.get(Dossier, found.revocation_dossier_id)
    assert case is not None and (case.kind, case.state, case.authority_unit_id) == (
        DossierKind.REVOCATION.value,
        "self_assessment",
        world.district.id,
    )
    (opened,) = events_of(session, case)
    assert (opened.action, opened.actor_id, opened.role, opened.from_state) == ("open_revocation", None, "system", None)

    assess_all(session, world, case, later(BEFORE, 1), unmet=("10", "17.3"))
    ps.take_action(session, world.user("xa"), later(BEFORE, 2), case, "finish_self_assessment")
    day = later(BEFORE, 2).date()
    ps.record_posting(
        session, world.user("xa"), later(BEFORE, 2), case, start=day, end=day + dt.timedelta(days=14), announcements=1
    )
    ps.take_action(session, world.user("xa"), later(BEFORE, 20), case, "submit")
    for name in DISTRICT_APPRAISERS:
        ps.approve_indicators(session, world.user(name), later(BEFORE, 25), case)
    ps.take_action(session, world.user("dieuphoi"), later(BEFORE, 26), case, "forward")
    ps.take_action(session, world.user("chutich.tinh"), later(BEFORE, 27), case, "revoke", decision_number="9/QĐ")
    assert case.state == "revoked" and recognition.revoked_on == later(BEFORE, 27).date()
    assert ps.replayed_state(session, case) == "revoked"
    with pytest.raises(GuardFailed, match="đã bị thu hồi"):
        ps.record_yearly_reassessment(
            session,
            world.user("dieuphoi"),
            BEFORE,
            recognition=recognition,
            year=2026,
            criteria_set=world.commune_set,
            failed_criteria=[1, 10, 17],
        )


def test_revocation_is_refused_when_appraisal_no_longer_supports_it(session: Session, world: World) -> None:
    recognition = ps.record_prior_recognition(
        session,
        world.user("admin"),
        BEFORE,
        unit=world.commune,
        level="commune-ntm",
        year=2023,
        decided_on=dt.date(2023, 12, 1),
    )
    found = ps.record_yearly_reassessment(
        session,
        world.user("xa"),
        BEFORE,
        recognition=recognition,
        year=2025,
        criteria_set=world.commune_set,
        failed_criteria=[1, 19],
    )
    case = session.get(Dossier, found.revocation_dossier_id)
    assert case is not None
    assess_all(session, world, case, later(BEFORE, 1))  # the commune fixed everything meanwhile
    ps.take_action(session, world.user("xa"), later(BEFORE, 2), case, "finish_self_assessment")
    day = later(BEFORE, 2).date()
    ps.record_posting(session, world.user("xa"), later(BEFORE, 2), case, start=day, end=day, announcements=1)
    ps.take_action(session, world.user("xa"), later(BEFORE, 5), case, "submit")
    for name in DISTRICT_APPRAISERS:
        ps.approve_indicators(session, world.user(name), later(BEFORE, 6), case)
    ps.take_action(session, world.user("dieuphoi"), later(BEFORE, 7), case, "forward")
    with pytest.raises(GuardFailed, match="không còn thuộc trường hợp thu hồi"):
        ps.take_action(session, world.user("chutich.tinh"), later(BEFORE, 8), case, "revoke")
    ps.take_action(session, world.user("chutich.tinh"), later(BEFORE, 8), case, "keep", comment="Đã khắc phục")
    assert case.state == "kept" and recognition.active


def test_available_actions_follow_seat_and_delegation(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    assert ps.available_actions(session, world.user("xa"), now, dossier) == []
    assert ps.available_actions(session, world.user("phong.tn-mt"), now, dossier) == [
        "approve_indicators",
        "return_indicators",
    ]
    assert ps.available_actions(session, world.user("phong.tc-kh"), now, dossier) == ["confirm_condition"]
    delegate(
        session, world.user("phong.tc-kh"), world.user("pho.phong"), dt.date(2025, 4, 1), dt.date(2025, 4, 30), now
    )
    assert ps.available_actions(session, world.user("pho.phong"), now, dossier) == ["confirm_condition"]


def test_open_appraisal_tasks_for_reminders(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    opened = open_appraisal_tasks(session, authority_unit_id=world.district.id)
    assert len(opened) == 6 and all(t.dossier_id == dossier.id for t in opened)
    assert all(t.opened_at == later(BEFORE, 31) for t in opened)
    ps.approve_indicators(session, world.user("phong.nn-ptnt"), later(BEFORE, 40), dossier)
    remaining = open_appraisal_tasks(session, department_ids=[world.departments["nn-ptnt"].id])
    assert remaining == []
    counted = session.scalar(select(func.count(AppraisalTask.id)).where(AppraisalTask.answered_at.is_(None)))
    assert counted == 5
    assert session.scalar(select(func.count(SupplementRequest.id))) == 0
