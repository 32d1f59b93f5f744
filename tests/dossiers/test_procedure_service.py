"""The command path (`dossiers.handlers.handle`) on a real database: routes, parallel appraisal,
supplements, delegation, audit, revocation, bulk self-assessment. The small world is in
procedure_world.py; the demo walks are in test_procedure_demo.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.access import load_actor, seats_of
from dossiers.handlers import handle, replayed_state, supplement_requests
from dossiers.models import (
    AppraisalTask,
    Assessment,
    AuditEvent,
    Consultation,
    Dossier,
    Reassessment,
    Recognition,
    SupplementRequest,
    User,
)
from dossiers.procedure_facts import open_appraisal_tasks, procedure_of, tasks_of
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
from workflow.errors import ActionNotAllowed, GuardFailed, NotFound, NotPermitted, StaleDossier
from workflow.permissions import allowed_actions
from workflow.rules import NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY
from workflow.vocabulary import DossierKind, RecognitionLevel

DISTRICT_APPRAISERS = ("phong.nn-ptnt", "phong.tn-mt", "phong.hoi-phu-nu", "phong.quan-su", "phong.cong-an", "dieuphoi")


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session, BEFORE)


def events_of(session: Session, dossier: Dossier) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)))


def available_actions(session: Session, user: User, now: dt.datetime, dossier: Dossier) -> list[str]:
    """Actions the user (or whom they substitute for today) may take now, guards not evaluated."""
    actor = load_actor(session, user, now)
    return list(allowed_actions(procedure_of(dossier), dossier.state, actor, seats_of(session, dossier)))


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
        handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
        assert dossier.state == "under_appraisal"
    handle(session, world.user("dieuphoi"), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    confirm_conditions(session, world, dossier, later(now, 1))
    handle(session, world.user("dieuphoi"), later(now, 2), c.Forward(dossier_id=dossier.id))
    handle(
        session, world.user("chutich.tinh"), later(now, 3), c.Recognise(dossier_id=dossier.id, decision_number="01/QĐ")
    )
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
    assert replayed_state(session, dossier) == "recognised"
    completion = next(e for e in events if e.action == "complete_appraisal")
    assert (completion.actor_id, completion.role, completion.to_state) == (None, "system", "appraised")


def test_a_department_may_not_touch_another_departments_indicator(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    before = len(events_of(session, dossier))
    with pytest.raises(NotPermitted) as refused:
        handle(
            session,
            world.user("phong.nn-ptnt"),
            later(BEFORE, 40),
            c.ApproveIndicators(dossier_id=dossier.id, codes=("17.3",)),
        )
    assert "không phụ trách thẩm tra chỉ tiêu 17.3" in str(refused.value)
    with pytest.raises(NotPermitted):
        handle(
            session,
            world.user("phong.cong-an"),
            later(BEFORE, 40),
            c.ReturnIndicators(dossier_id=dossier.id, reasons={"19.1": "sai"}),
        )
    with pytest.raises(NotPermitted):  # finance owns nothing here: no appraisal grant at all
        handle(session, world.user("phong.tc-kh"), later(BEFORE, 40), c.ApproveIndicators(dossier_id=dossier.id))
    assert len(events_of(session, dossier)) == before


def test_a_shared_indicator_needs_both_departments(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    for name in DISTRICT_APPRAISERS:
        if name != "phong.hoi-phu-nu":
            handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
    # tn-mt approved 17.8, but the women's union owns it too: the appraisal is not complete
    assert dossier.state == "under_appraisal"
    assert [(t.department_id, t.indicator_codes) for t in open_appraisal_tasks(session)] == [
        (world.departments["hoi-phu-nu"].id, ("17.8",))
    ]
    handle(session, world.user("phong.hoi-phu-nu"), now, c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",)))
    assert dossier.state == "appraised"


def test_returns_make_one_consolidated_request_and_resubmission_reopens_only_those_tasks(
    session: Session, world: World
) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    handle(session, world.user("phong.nn-ptnt"), now, c.ApproveIndicators(dossier_id=dossier.id))
    handle(
        session,
        world.user("phong.tn-mt"),
        now,
        c.ReturnIndicators(dossier_id=dossier.id, reasons={"17.3": "Thiếu biên bản kiểm tra nước thải"}),
    )
    handle(session, world.user("phong.tn-mt"), now, c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",)))
    handle(
        session,
        world.user("phong.cong-an"),
        now,
        c.ReturnIndicators(dossier_id=dossier.id, reasons={"19.2": "Chưa có xác nhận của Công an tỉnh"}),
    )
    for name in ("phong.hoi-phu-nu", "phong.quan-su"):
        handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "under_appraisal"  # the coordinator has not answered yet: no drip of requests
    assert supplement_requests(session, dossier) == []
    handle(session, world.user("dieuphoi"), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "returned"
    (request,) = supplement_requests(session, dossier)
    assert [(i.indicator.code, i.department.code if i.department else None) for i in request.items] == [
        ("17.3", "tn-mt"),
        ("19.2", "cong-an"),
    ]
    assert "Thiếu biên bản kiểm tra nước thải" in request.text and "Chưa có xác nhận của Công an tỉnh" in request.text

    # the commune corrects 17.3 only; evidence for 19.2 counts as answered by resubmitting
    handle(
        session,
        world.user("xa"),
        later(now, 1),
        c.RecordAssessments(
            dossier_id=dossier.id, entries=(c.AssessmentEntry("17.3", met=True, value="Có", note="đã bổ sung"),)
        ),
    )
    with pytest.raises(NotPermitted):
        handle(session, world.user("phong.tn-mt"), later(now, 2), c.Resubmit(dossier_id=dossier.id))
    event = handle(session, world.user("xa"), later(now, 2), c.Resubmit(dossier_id=dossier.id)).event
    assert event is not None
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
    handle(session, world.user("phong.tn-mt"), later(now, 3), c.ApproveIndicators(dossier_id=dossier.id))
    handle(session, world.user("phong.cong-an"), later(now, 3), c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"


def test_a_change_after_approval_reopens_the_approving_task(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    handle(
        session,
        world.user("phong.quan-su"),
        now,
        c.ReturnIndicators(dossier_id=dossier.id, reasons={"19.1": "Thiếu kế hoạch"}),
    )
    for name in DISTRICT_APPRAISERS:
        if name != "phong.quan-su":
            handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "returned"
    handle(
        session,
        world.user("xa"),
        later(now, 1),
        c.RecordAssessments(
            dossier_id=dossier.id, entries=(c.AssessmentEntry("1", met=True, value="Có", note="sửa số liệu"),)
        ),
    )
    event = handle(session, world.user("xa"), later(now, 2), c.Resubmit(dossier_id=dossier.id)).event
    assert event is not None
    assert event.payload["reopened"] == {"Phòng nn-ptnt": ["1"], "Phòng quan-su": ["19.1"]}


def test_a_failed_guard_writes_nothing(session: Session, world: World) -> None:
    dossier = handle(
        session,
        world.user("xa"),
        BEFORE,
        c.Register(
            unit_id=world.commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2025,
            criteria_set_id=world.commune_set.id,
        ),
    ).opened()
    handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    handle(
        session,
        world.user("xa"),
        later(BEFORE, 2),
        c.RecordAssessments(dossier_id=dossier.id, entries=(c.AssessmentEntry("1", met=True),)),
    )
    version, count = dossier.version, len(events_of(session, dossier))
    with pytest.raises(GuardFailed) as failed:
        handle(session, world.user("xa"), later(BEFORE, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    assert "chỉ tiêu 10, 17.1, 17.3, 17.8, 19.1 và 19.2 chưa tự đánh giá" in str(failed.value)
    session.flush()
    assert (dossier.version, len(events_of(session, dossier)), dossier.state) == (version, count, "self_assessment")
    with pytest.raises(ActionNotAllowed) as refused:
        handle(
            session,
            world.user("xa"),
            later(BEFORE, 3),
            c.RecordPosting(dossier_id=dossier.id, start=BEFORE.date(), end=BEFORE.date(), announcements=1),
        )
    assert "Tự đánh giá" in str(refused.value)
    assert session.scalars(select(Consultation)).first() is None
    assert (dossier.version, len(events_of(session, dossier))) == (version, count)


def test_a_bulk_self_assessment_is_one_event_listing_every_change(session: Session, world: World) -> None:
    dossier = handle(
        session,
        world.user("xa"),
        BEFORE,
        c.Register(
            unit_id=world.commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2025,
            criteria_set_id=world.commune_set.id,
        ),
    ).opened()
    handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    # 17.3 saved alone first (not met yet), 17.8 saved with the very values the bulk save repeats
    handle(
        session,
        world.user("xa"),
        later(BEFORE, 2),
        c.RecordAssessments(
            dossier_id=dossier.id,
            entries=(
                c.AssessmentEntry("17.3", met=False, value="Không"),
                c.AssessmentEntry("17.8", met=True, value="Có", note="Biên bản"),
            ),
        ),
    )
    version, count = dossier.version, len(events_of(session, dossier))

    # the whole criterion 17 in one command: 17.1 is new, 17.3 is corrected, 17.8 is unchanged
    outcome = handle(
        session,
        world.user("xa"),
        later(BEFORE, 3),
        c.RecordAssessments(
            dossier_id=dossier.id,
            entries=(
                c.AssessmentEntry("17.1", met=True, value="Có"),
                c.AssessmentEntry("17.3", met=True, value="Có", note="Đã bổ sung"),
                c.AssessmentEntry("17.8", met=True, value="Có", note="Biên bản"),
            ),
            comment="Tiêu chí 17",
        ),
    )
    events = events_of(session, dossier)
    assert len(events) == count + 1 and dossier.version == version + 1
    event = events[-1]
    assert outcome.event is event
    assert (event.action, event.actor_id, event.comment) == ("record_assessment", world.user("xa").id, "Tiêu chí 17")
    assert event.payload["indicators"] == ["17.1", "17.3", "17.8"]
    assert event.payload["changes"] == [
        {"indicator": "17.1", "old": None, "new": {"met": True, "value": "Có", "note": None}},
        {
            "indicator": "17.3",
            "old": {"met": False, "value": "Không", "note": None},
            "new": {"met": True, "value": "Có", "note": "Đã bổ sung"},
        },
    ]
    rows = {
        a.indicator.code: (a.met, a.value, a.note, a.assessed_at)
        for a in session.scalars(select(Assessment).where(Assessment.dossier_id == dossier.id))
    }
    assert rows == {
        "17.1": (True, "Có", None, later(BEFORE, 3)),
        "17.3": (True, "Có", "Đã bổ sung", later(BEFORE, 3)),
        "17.8": (True, "Có", "Biên bản", later(BEFORE, 3)),
    }
    assert isinstance(outcome.record, Assessment) and outcome.record.indicator.code == "17.8"


@pytest.mark.parametrize(
    ("codes", "message"),
    [(("17.1", "99.9"), "không có chỉ tiêu 99.9"), (("17.1", "17.3", "17.1"), "chỉ tiêu 17.1 được ghi hai lần")],
    ids=["unknown code", "same code twice"],
)
def test_a_bulk_self_assessment_with_a_bad_entry_writes_nothing(
    session: Session, world: World, codes: tuple[str, ...], message: str
) -> None:
    dossier = handle(
        session,
        world.user("xa"),
        BEFORE,
        c.Register(
            unit_id=world.commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2025,
            criteria_set_id=world.commune_set.id,
        ),
    ).opened()
    handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    handle(
        session,
        world.user("xa"),
        later(BEFORE, 2),
        c.RecordAssessments(dossier_id=dossier.id, entries=(c.AssessmentEntry("17.1", met=False, value="Không"),)),
    )
    session.flush()
    version, count = dossier.version, len(events_of(session, dossier))

    def stored() -> list[tuple[str, bool | None, str | None]]:
        return sorted(
            (a.indicator.code, a.met, a.value)
            for a in session.scalars(select(Assessment).where(Assessment.dossier_id == dossier.id))
        )

    before = stored()
    with pytest.raises(GuardFailed) as refused:
        handle(
            session,
            world.user("xa"),
            later(BEFORE, 3),
            c.RecordAssessments(
                dossier_id=dossier.id, entries=tuple(c.AssessmentEntry(code, met=True, value="Đạt") for code in codes)
            ),
        )
    assert message in str(refused.value)
    # nothing pending, nothing flushed: no row, no event, no new version
    assert not session.new and not [o for o in session.dirty if session.is_modified(o)]
    session.flush()
    assert stored() == before == [("17.1", False, "Không")]
    assert (dossier.version, len(events_of(session, dossier))) == (version, count)


def test_submission_guards_name_thresholds(session: Session, world: World) -> None:
    dossier = handle(
        session,
        world.user("xa"),
        BEFORE,
        c.Register(
            unit_id=world.commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2025,
            criteria_set_id=world.commune_set.id,
        ),
    ).opened()
    handle(session, world.user("dieuphoi"), later(BEFORE, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    assess_all(session, world, dossier, later(BEFORE, 2), unmet=("17.3",))
    handle(session, world.user("xa"), later(BEFORE, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    now = later(BEFORE, 30)
    handle(
        session,
        world.user("xa"),
        now,
        c.RecordPosting(dossier_id=dossier.id, start=dt.date(2025, 3, 5), end=dt.date(2025, 3, 14), announcements=3),
    )
    handle(
        session,
        world.user("mttq"),
        now,
        c.RecordSurvey(dossier_id=dossier.id, households_total=100, households_reached=60, households_satisfied=50),
    )
    with pytest.raises(NotPermitted):  # the Front records the survey, not the commune officer
        handle(
            session,
            world.user("xa"),
            now,
            c.RecordSurvey(dossier_id=dossier.id, households_total=1, households_reached=1, households_satisfied=1),
        )
    handle(session, world.user("xa"), now, c.RecordVote(dossier_id=dossier.id, votes_total=20, votes_in_favour=17))
    with pytest.raises(GuardFailed) as failed:
        handle(session, world.user("xa"), now, c.Submit(dossier_id=dossier.id))
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
    assert (dossier.authority_unit_id, dossier.decider_unit_id, dossier.route) == (
        world.province.id,
        world.province.id,
        "commune-to-province",
    )
    with pytest.raises(NotPermitted):  # the district is gone
        handle(session, world.user("dieuphoi"), later(AFTER, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    handle(session, world.user("dieuphoi.tinh"), later(AFTER, 1), c.ConfirmRegistration(dossier_id=dossier.id))
    assess_all(session, world, dossier, later(AFTER, 2), officer="xa.moi")
    handle(session, world.user("xa.moi"), later(AFTER, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
    consult(session, world, dossier, later(AFTER, 30), officer="xa.moi", front="mttq.moi")
    handle(session, world.user("xa.moi"), later(AFTER, 31), c.Submit(dossier_id=dossier.id))
    assert owned(session, dossier) == {
        "so-nn-mt": ["1", "17.1", "17.3", "17.8"],
        "(coordinator)": ["10"],
        "so-cong-an": ["19.1", "19.2"],
    }
    now = later(AFTER, 40)
    with pytest.raises(NotPermitted):
        handle(session, world.user("phong.nn-ptnt"), now, c.ApproveIndicators(dossier_id=dossier.id))
    for name in ("so.so-nn-mt", "so.so-cong-an", "dieuphoi.tinh"):
        handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    with pytest.raises(NotPermitted):
        handle(
            session,
            world.user("phong.tc-kh"),
            now,
            c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=True),
        )
    confirm_conditions(session, world, dossier, now, finance="so.so-tc-kh", police="so.so-cong-an")
    handle(session, world.user("dieuphoi.tinh"), later(now, 1), c.Forward(dossier_id=dossier.id))
    with pytest.raises(NotPermitted):
        handle(session, world.user("chutich.xamoi"), later(now, 2), c.Recognise(dossier_id=dossier.id))
    handle(session, world.user("chutich.tinh"), later(now, 2), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"


def test_conditions_guard_the_forward_and_only_their_department_confirms(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    for name in DISTRICT_APPRAISERS:
        handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
    with pytest.raises(NotPermitted) as refused:
        handle(
            session,
            world.user("phong.cong-an"),
            now,
            c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=True),
        )
    assert "tc-kh" in str(refused.value)
    handle(
        session,
        world.user("phong.tc-kh"),
        now,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NO_CONSTRUCTION_DEBT, holds=False, note="Nợ 2 tỷ"),
    )
    handle(
        session,
        world.user("phong.cong-an"),
        now,
        c.ConfirmCondition(dossier_id=dossier.id, condition=NOT_COMPLEX_SECURITY, holds=True),
    )
    with pytest.raises(GuardFailed) as failed:
        handle(session, world.user("dieuphoi"), now, c.Forward(dossier_id=dossier.id))
    assert failed.value.missing == ("không đáp ứng điều kiện «không có nợ đọng xây dựng cơ bản»",)


def test_refusal_needs_a_reason(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    for name in DISTRICT_APPRAISERS:
        handle(session, world.user(name), now, c.ApproveIndicators(dossier_id=dossier.id))
    confirm_conditions(session, world, dossier, now)
    handle(session, world.user("dieuphoi"), now, c.Forward(dossier_id=dossier.id))
    with pytest.raises(GuardFailed, match="cần ghi rõ lý do"):
        handle(session, world.user("chutich.tinh"), now, c.Refuse(dossier_id=dossier.id))
    handle(
        session,
        world.user("chutich.tinh"),
        now,
        c.Refuse(dossier_id=dossier.id, comment="Chưa đạt tiêu chí 17 thực tế"),
    )
    assert dossier.state == "refused"
    assert events_of(session, dossier)[-1].comment == "Chưa đạt tiêu chí 17 thực tế"


def test_delegation_records_who_acted_and_for_whom(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    officer, substitute = world.user("phong.tn-mt"), world.user("pho.phong")
    now = later(BEFORE, 40)
    with pytest.raises(NotPermitted):
        handle(session, substitute, now, c.ApproveIndicators(dossier_id=dossier.id))
    with pytest.raises(NotPermitted, match="không ủy quyền"):
        handle(session, substitute, now, c.ApproveIndicators(dossier_id=dossier.id, on_behalf_of_id=officer.id))
    today = dt.date(2025, 4, 12)
    delegate(session, officer, substitute, today - dt.timedelta(days=5), today + dt.timedelta(days=5), now)
    event = handle(session, substitute, now, c.ApproveIndicators(dossier_id=dossier.id, codes=("17.3",))).event
    assert event is not None
    assert (event.actor_id, event.on_behalf_of_id, event.role) == (substitute.id, officer.id, "department_officer")
    item = next(i for t in tasks_of(session, dossier) for i in t.items if i.indicator.code == "17.3" and i.decided_at)
    assert (item.decided_by_id, item.on_behalf_of_id) == (substitute.id, officer.id)
    # the period is over: the substitute no longer acts for the officer
    with pytest.raises(NotPermitted):
        handle(session, substitute, later(now, 30), c.ApproveIndicators(dossier_id=dossier.id, codes=("17.8",)))


def test_expected_version_detects_a_stale_form(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    seen = dossier.version
    handle(session, world.user("phong.nn-ptnt"), later(BEFORE, 40), c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.version > seen
    count = len(events_of(session, dossier))
    with pytest.raises(StaleDossier):
        handle(
            session,
            world.user("phong.tn-mt"),
            later(BEFORE, 40),
            c.ApproveIndicators(dossier_id=dossier.id, expected_version=seen),
        )
    assert len(events_of(session, dossier)) == count


def register(
    session: Session, world: World, username: str, now: dt.datetime, unit: str, level: str, year: int, set_attr: str
) -> Dossier:
    """Register a dossier of `world.<unit>` on `world.<set_attr>`."""
    command = c.Register(
        unit_id=getattr(world, unit).id,
        level=RecognitionLevel(level),
        year=year,
        criteria_set_id=getattr(world, set_attr).id,
    )
    return handle(session, world.user(username), now, command).opened()


def test_registration_checks(session: Session, world: World) -> None:
    with pytest.raises(NotPermitted):
        register(session, world, "xa.hai", BEFORE, "commune", "commune-ntm", 2025, "commune_set")
    with pytest.raises(GuardFailed) as failed:
        register(session, world, "xa", BEFORE, "commune", "commune-ntm", 2025, "hamlet_set")
    assert "không áp dụng" in str(failed.value)
    register(session, world, "xa", BEFORE, "commune", "commune-ntm", 2025, "commune_set")
    with pytest.raises(GuardFailed, match="đã có hồ sơ"):
        register(session, world, "xa", BEFORE, "commune", "commune-ntm", 2025, "commune_set")
    # Xã Một was merged on 1/7/2025: its officer holds nothing afterwards
    with pytest.raises(NotPermitted, match="đăng ký hồ sơ"):
        register(session, world, "xa", AFTER, "commune", "commune-ntm", 2026, "commune_set")
    with pytest.raises(GuardFailed, match="không còn cấp huyện"):
        register(session, world, "xa", AFTER, "district", "district-ntm", 2026, "commune_set")


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
    dossier = register(session, world, officer, now, hamlet, "hamlet-ntm", 2025, "hamlet_set")
    assert dossier.authority_unit_id == getattr(world, authority).id
    assert dossier.decider_unit_id == getattr(world, decider).id
    assess_all(session, world, dossier, later(now, 1), officer=officer)
    handle(session, world.user(officer), later(now, 2), c.Submit(dossier_id=dossier.id))
    handle(session, world.user(team), later(now, 5), c.ApproveIndicators(dossier_id=dossier.id))
    assert dossier.state == "appraised"
    start = later(now, 6).date()
    handle(
        session,
        world.user(commune_officer),
        later(now, 6),
        c.RecordAnnouncement(dossier_id=dossier.id, start=start, end=start + dt.timedelta(days=8)),
    )
    handle(
        session,
        world.user(commune_officer),
        later(now, 20),
        c.RecordVote(dossier_id=dossier.id, votes_total=20, votes_in_favour=18),
    )
    with pytest.raises(GuardFailed, match="mới 9 ngày"):
        handle(session, world.user(commune_officer), later(now, 20), c.Forward(dossier_id=dossier.id))
    handle(
        session,
        world.user(commune_officer),
        later(now, 20),
        c.RecordAnnouncement(dossier_id=dossier.id, start=start, end=start + dt.timedelta(days=9)),
    )
    handle(session, world.user(commune_officer), later(now, 20), c.Forward(dossier_id=dossier.id))
    handle(session, world.user(chairman), later(now, 21), c.Recognise(dossier_id=dossier.id))
    assert dossier.state == "recognised" and replayed_state(session, dossier) == "recognised"


def test_advanced_needs_ntm_which_a_merged_commune_inherits(session: Session, world: World) -> None:
    with pytest.raises(GuardFailed, match="điều kiện tiên quyết"):
        dossier = register(session, world, "xa.moi", AFTER, "new_commune", "commune-advanced", 2025, "advanced_set")
        handle(session, world.user("dieuphoi.tinh"), later(AFTER, 1), c.ConfirmRegistration(dossier_id=dossier.id))
        assess_all(session, world, dossier, later(AFTER, 2), officer="xa.moi")
        handle(session, world.user("xa.moi"), later(AFTER, 3), c.FinishSelfAssessment(dossier_id=dossier.id))
        consult(session, world, dossier, later(AFTER, 30), officer="xa.moi", front="mttq.moi")
        handle(session, world.user("xa.moi"), later(AFTER, 31), c.Submit(dossier_id=dossier.id))
    with pytest.raises(NotPermitted):
        handle(
            session,
            world.user("xa"),
            AFTER,
            c.RecordPriorRecognition(
                unit_id=world.other_commune.id,
                level=RecognitionLevel.COMMUNE_NTM,
                year=2020,
                decided_on=dt.date(2020, 12, 1),
            ),
        )
    handle(
        session,
        world.user("admin"),
        AFTER,
        c.RecordPriorRecognition(
            unit_id=world.other_commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2020,
            decided_on=dt.date(2020, 12, 1),
            decision_number="2020/QĐ-UBND",
        ),
    )
    dossier = session.scalars(select(Dossier).where(Dossier.level == "commune-advanced")).one()
    handle(session, world.user("xa.moi"), later(AFTER, 31), c.Submit(dossier_id=dossier.id))
    assert dossier.state == "under_appraisal"


def prior_recognition(session: Session, world: World) -> Recognition:
    """Xã Một's NTM recognition of 2023, recorded by the administrator."""
    recognition = handle(
        session,
        world.user("admin"),
        BEFORE,
        c.RecordPriorRecognition(
            unit_id=world.commune.id,
            level=RecognitionLevel.COMMUNE_NTM,
            year=2023,
            decided_on=dt.date(2023, 12, 1),
        ),
    ).record
    assert isinstance(recognition, Recognition)
    return recognition


def reassess(
    session: Session, world: World, username: str, recognition: Recognition, year: int, failed: tuple[int, ...]
) -> Reassessment:
    reassessment = handle(
        session,
        world.user(username),
        BEFORE,
        c.RecordYearlyReassessment(
            recognition_id=recognition.id, year=year, criteria_set_id=world.commune_set.id, failed_criteria=failed
        ),
    ).record
    assert isinstance(reassessment, Reassessment)
    return reassessment


def test_a_failing_reassessment_opens_a_revocation_case_that_can_revoke(session: Session, world: World) -> None:
    recognition = prior_recognition(session, world)
    quiet = reassess(session, world, "dieuphoi", recognition, 2024, (1,))
    assert quiet.finding is None and quiet.revocation_dossier_id is None
    found = reassess(session, world, "dieuphoi", recognition, 2025, (10, 17))
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
    handle(session, world.user("xa"), later(BEFORE, 2), c.FinishSelfAssessment(dossier_id=case.id))
    day = later(BEFORE, 2).date()
    handle(
        session,
        world.user("xa"),
        later(BEFORE, 2),
        c.RecordPosting(dossier_id=case.id, start=day, end=day + dt.timedelta(days=14), announcements=1),
    )
    handle(session, world.user("xa"), later(BEFORE, 20), c.Submit(dossier_id=case.id))
    for name in DISTRICT_APPRAISERS:
        handle(session, world.user(name), later(BEFORE, 25), c.ApproveIndicators(dossier_id=case.id))
    handle(session, world.user("dieuphoi"), later(BEFORE, 26), c.Forward(dossier_id=case.id))
    handle(session, world.user("chutich.tinh"), later(BEFORE, 27), c.Revoke(dossier_id=case.id, decision_number="9/QĐ"))
    assert case.state == "revoked" and recognition.revoked_on == later(BEFORE, 27).date()
    assert replayed_state(session, case) == "revoked"
    with pytest.raises(GuardFailed, match="đã bị thu hồi"):
        reassess(session, world, "dieuphoi", recognition, 2026, (1, 10, 17))


def test_revocation_is_refused_when_appraisal_no_longer_supports_it(session: Session, world: World) -> None:
    recognition = prior_recognition(session, world)
    found = reassess(session, world, "xa", recognition, 2025, (1, 19))
    case = session.get(Dossier, found.revocation_dossier_id)
    assert case is not None
    assess_all(session, world, case, later(BEFORE, 1))  # the commune fixed everything meanwhile
    handle(session, world.user("xa"), later(BEFORE, 2), c.FinishSelfAssessment(dossier_id=case.id))
    day = later(BEFORE, 2).date()
    handle(
        session,
        world.user("xa"),
        later(BEFORE, 2),
        c.RecordPosting(dossier_id=case.id, start=day, end=day, announcements=1),
    )
    handle(session, world.user("xa"), later(BEFORE, 5), c.Submit(dossier_id=case.id))
    for name in DISTRICT_APPRAISERS:
        handle(session, world.user(name), later(BEFORE, 6), c.ApproveIndicators(dossier_id=case.id))
    handle(session, world.user("dieuphoi"), later(BEFORE, 7), c.Forward(dossier_id=case.id))
    with pytest.raises(GuardFailed, match="không còn thuộc trường hợp thu hồi"):
        handle(session, world.user("chutich.tinh"), later(BEFORE, 8), c.Revoke(dossier_id=case.id))
    handle(session, world.user("chutich.tinh"), later(BEFORE, 8), c.Keep(dossier_id=case.id, comment="Đã khắc phục"))
    assert case.state == "kept" and recognition.active


def test_available_actions_follow_seat_and_delegation(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    now = later(BEFORE, 40)
    assert available_actions(session, world.user("xa"), now, dossier) == []
    assert available_actions(session, world.user("phong.tn-mt"), now, dossier) == [
        "approve_indicators",
        "return_indicators",
    ]
    assert available_actions(session, world.user("phong.tc-kh"), now, dossier) == ["confirm_condition"]
    delegate(
        session, world.user("phong.tc-kh"), world.user("pho.phong"), dt.date(2025, 4, 1), dt.date(2025, 4, 30), now
    )
    assert available_actions(session, world.user("pho.phong"), now, dossier) == ["confirm_condition"]


def test_open_appraisal_tasks_for_reminders(session: Session, world: World) -> None:
    dossier = commune_dossier_submitted(session, world, BEFORE)
    opened = open_appraisal_tasks(session, authority_unit_id=world.district.id)
    assert len(opened) == 6 and all(t.dossier_id == dossier.id for t in opened)
    assert all(t.opened_at == later(BEFORE, 31) for t in opened)
    handle(session, world.user("phong.nn-ptnt"), later(BEFORE, 40), c.ApproveIndicators(dossier_id=dossier.id))
    remaining = open_appraisal_tasks(session, department_ids=[world.departments["nn-ptnt"].id])
    assert remaining == []
    counted = session.scalar(select(func.count(AppraisalTask.id)).where(AppraisalTask.answered_at.is_(None)))
    assert counted == 5
    assert session.scalar(select(func.count(SupplementRequest.id))) == 0


def test_a_command_naming_nothing_that_exists_is_not_found(session: Session, world: World) -> None:
    with pytest.raises(NotFound, match="hồ sơ số 987654"):
        handle(session, world.user("xa"), BEFORE, c.Submit(dossier_id=987654))
    register = c.Register(unit_id=987654, level=RecognitionLevel.COMMUNE_NTM, year=2025, criteria_set_id=1)
    with pytest.raises(NotFound, match="đơn vị số 987654"):
        handle(session, world.user("xa"), BEFORE, register)
