"""Guards say what is missing in Vietnamese; thresholds are configurable; routes, milestones, time
limits and the revocation rule follow the law and its configurable defaults."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from workflow.actions import Action
from workflow.engine import Grant, Party
from workflow.errors import GuardFailed, join_vi
from workflow.facts import Facts, ModelFacts, Posting, Survey, Vote
from workflow.guards import (
    ALL_APPROVED,
    ALL_ASSESSED,
    ANNOUNCEMENT_DONE,
    APPRAISAL_ANSWERED,
    COMMUNES_RECOGNISED,
    MODEL_CONDITIONS,
    NO_DEBT_CONFIRMED,
    OWNERSHIP_COMPLETE,
    POSTING_DONE,
    SURVEY_MET,
    VOTE_MET,
    prerequisite,
)
from workflow.procedures import (
    MILESTONES,
    PROCEDURES,
    UnknownProcedure,
    milestone_reached,
    procedure_for,
    step_limit,
)
from workflow.revocation import revocation_finding
from workflow.routes import REFORM_DATE, route_for
from workflow.rules import DEFAULT_RULES, NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY, Sourced
from workflow.vocabulary import Confidence, DossierKind, RecognitionLevel, Role, UnitKind

TODAY = dt.date(2025, 9, 1)
CODES = ("1", "10", "17.1", "17.3", "17.8", "19.1")


def facts(**changes: object) -> Facts:
    base = Facts(level=RecognitionLevel.COMMUNE_NTM, today=TODAY, indicators=CODES, assessed=frozenset(CODES))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_join_vi() -> None:
    assert join_vi([]) == ""
    assert join_vi(["17.3"]) == "17.3"
    assert join_vi(["17.3", "17.8"]) == "17.3 và 17.8"
    assert join_vi(["1", "2", "3"]) == "1, 2 và 3"


def test_missing_assessments_are_named_in_indicator_order() -> None:
    missing = ALL_ASSESSED.missing(facts(assessed=frozenset({"1", "10", "17.1", "19.1"})), DEFAULT_RULES)
    assert missing == ["chỉ tiêu 17.3 và 17.8 chưa tự đánh giá"]
    assert ALL_ASSESSED.missing(facts(), DEFAULT_RULES) == []


def test_posting_needs_15_days_5_announcements_and_to_be_over() -> None:
    ok = Posting(dt.date(2025, 8, 1), dt.date(2025, 8, 15), 5)
    assert ok.days == 15
    assert POSTING_DONE.missing(facts(posting=ok), DEFAULT_RULES) == []
    assert POSTING_DONE.missing(facts(), DEFAULT_RULES) == ["chưa ghi nhận việc niêm yết công khai báo cáo"]
    short = Posting(dt.date(2025, 8, 1), dt.date(2025, 8, 10), 3)
    assert POSTING_DONE.missing(facts(posting=short), DEFAULT_RULES) == [
        "niêm yết công khai báo cáo mới 10 ngày, cần ít nhất 15 ngày",
        "mới thông báo 3 lần, cần ít nhất 5 lần",
    ]
    running = Posting(dt.date(2025, 8, 20), dt.date(2025, 9, 3), 5)
    assert POSTING_DONE.missing(facts(posting=running), DEFAULT_RULES) == [
        "việc niêm yết công khai báo cáo chưa kết thúc (đến hết ngày 03/09/2025)"
    ]


def test_thresholds_are_configurable_with_their_source() -> None:
    shorter = dataclasses.replace(DEFAULT_RULES, posting_days=Sourced(10, "Quy định của tỉnh X", Confidence.HIGH))
    short = Posting(dt.date(2025, 8, 1), dt.date(2025, 8, 10), 5)
    assert POSTING_DONE.missing(facts(posting=short), shorter) == []
    assert DEFAULT_RULES.posting_days.source and DEFAULT_RULES.posting_days.confidence == Confidence.LOW


@pytest.mark.parametrize(
    ("level", "satisfied", "missing"),
    [
        (RecognitionLevel.COMMUNE_NTM, 720, []),
        (RecognitionLevel.COMMUNE_NTM, 719, ["tỷ lệ người dân hài lòng 89,9 %, cần ít nhất 90 %"]),
        (RecognitionLevel.COMMUNE_ADVANCED, 720, ["tỷ lệ người dân hài lòng 90 %, cần ít nhất 95 %"]),
        (RecognitionLevel.COMMUNE_MODEL, 760, []),
    ],
)
def test_satisfaction_threshold_depends_on_the_level(
    level: RecognitionLevel, satisfied: int, missing: list[str]
) -> None:
    survey = Survey(households_total=1000, households_reached=800, households_satisfied=satisfied)
    assert SURVEY_MET.missing(facts(level=level, survey=survey), DEFAULT_RULES) == missing


def test_survey_must_reach_70_percent_of_households_for_a_commune_and_60_for_a_district() -> None:
    survey = Survey(households_total=1000, households_reached=650, households_satisfied=650)
    assert SURVEY_MET.missing(facts(survey=survey), DEFAULT_RULES) == [
        "lấy ý kiến mới đạt 65 % số hộ, cần ít nhất 70 %"
    ]
    district = facts(survey=survey, level=RecognitionLevel.DISTRICT_NTM, applicant_kind=UnitKind.DISTRICT)
    assert SURVEY_MET.missing(district, DEFAULT_RULES) == []
    assert SURVEY_MET.missing(facts(), DEFAULT_RULES) == [
        "chưa có kết quả lấy ý kiến sự hài lòng của người dân (Mặt trận Tổ quốc)"
    ]


def test_vote_needs_90_percent() -> None:
    assert VOTE_MET.missing(facts(vote=Vote(40, 36)), DEFAULT_RULES) == []
    assert VOTE_MET.missing(facts(vote=Vote(40, 35)), DEFAULT_RULES) == [
        "tỷ lệ đồng ý tại cuộc họp 87,5 %, cần ít nhất 90 %"
    ]


def test_hamlet_announcement_lasts_10_days() -> None:
    ten = Posting(dt.date(2025, 8, 1), dt.date(2025, 8, 10))
    nine = Posting(dt.date(2025, 8, 1), dt.date(2025, 8, 9))
    assert ANNOUNCEMENT_DONE.missing(facts(announcement=ten), DEFAULT_RULES) == []
    assert ANNOUNCEMENT_DONE.missing(facts(announcement=nine), DEFAULT_RULES) == [
        "thông báo trên đài truyền thanh xã mới 9 ngày, cần ít nhất 10 ngày"
    ]


def test_appraisal_guards_name_departments_and_indicators() -> None:
    waiting = facts(open_tasks=("Phòng Tài nguyên và Môi trường", "Công an huyện"))
    assert APPRAISAL_ANSWERED.missing(waiting, DEFAULT_RULES) == [
        "còn chờ kết quả thẩm tra của Phòng Tài nguyên và Môi trường và Công an huyện"
    ]
    assert ALL_APPROVED.missing(facts(unapproved=frozenset({"17.8", "1"})), DEFAULT_RULES) == [
        "chỉ tiêu 1 và 17.8 chưa được các phòng phụ trách thẩm tra đạt"
    ]


def test_unowned_indicators_block_submission_only_when_configured() -> None:
    unowned = facts(unowned=frozenset({"10"}))
    assert OWNERSHIP_COMPLETE.missing(unowned, DEFAULT_RULES) == []
    strict = dataclasses.replace(DEFAULT_RULES, unowned_to_coordinator=Sourced(False, "tỉnh X", Confidence.HIGH))
    assert OWNERSHIP_COMPLETE.missing(unowned, strict) == ["chỉ tiêu 10 chưa được phân công phòng thẩm tra"]


def test_conditions_must_be_confirmed_and_hold() -> None:
    assert NO_DEBT_CONFIRMED.missing(facts(), DEFAULT_RULES) == ["chưa có xác nhận «không có nợ đọng xây dựng cơ bản»"]
    assert NO_DEBT_CONFIRMED.missing(facts(conditions={NO_CONSTRUCTION_DEBT: False}), DEFAULT_RULES) == [
        "không đáp ứng điều kiện «không có nợ đọng xây dựng cơ bản»"
    ]
    assert NO_DEBT_CONFIRMED.missing(facts(conditions={NO_CONSTRUCTION_DEBT: True}), DEFAULT_RULES) == []


def test_model_commune_conditions() -> None:
    good = ModelFacts(
        income_per_capita=66_000_000,
        advanced_income_level=60_000_000,
        smart_hamlet_models=1,
        outstanding_field="giao-duc",
        outstanding_field_met=True,
    )
    assert MODEL_CONDITIONS.missing(facts(model=good), DEFAULT_RULES) == []
    poor = dataclasses.replace(good, income_per_capita=65_999_999, smart_hamlet_models=0, outstanding_field_met=False)
    assert MODEL_CONDITIONS.missing(facts(model=poor), DEFAULT_RULES) == [
        "thu nhập bình quân 65.999.999 đồng/người/năm thấp hơn mức yêu cầu 66.000.000 đồng "
        "(cao hơn 10 % mức xã nâng cao)",
        "cần ít nhất 1 mô hình thôn thông minh",
        "lĩnh vực nổi trội «giao-duc» chưa đạt",
    ]
    assert MODEL_CONDITIONS.missing(facts(), DEFAULT_RULES) == [
        "chưa kê khai các điều kiện của xã nông thôn mới kiểu mẫu"
    ]


def test_prerequisite_and_district_communes() -> None:
    guard = prerequisite(RecognitionLevel.COMMUNE_NTM)
    assert guard.missing(facts(prerequisite_held=False), DEFAULT_RULES) == [
        "chưa được công nhận «Xã đạt chuẩn nông thôn mới» (điều kiện tiên quyết)"
    ]
    assert guard.missing(facts(prerequisite_held=True), DEFAULT_RULES) == []
    assert COMMUNES_RECOGNISED.missing(facts(communes_total=13, communes_recognised=12), DEFAULT_RULES) == [
        "mới có 12/13 xã đạt chuẩn nông thôn mới"
    ]


def test_guard_failed_from_fire_lists_everything_missing() -> None:
    procedure = procedure_for(RecognitionLevel.COMMUNE_NTM)
    grant = Grant(Role.UNIT_OFFICER, Party.APPLICANT)
    with pytest.raises(GuardFailed) as failed:
        procedure.fire(
            "self_assessment", "finish_self_assessment", grants={grant}, facts=facts(assessed=frozenset({"1", "10"}))
        )
    assert "chỉ tiêu 17.1, 17.3, 17.8 và 19.1 chưa tự đánh giá" in str(failed.value)
    with pytest.raises(GuardFailed) as failed:
        procedure.fire("consultation", Action.SUBMIT, grants={grant}, facts=facts())
    assert len(failed.value.missing) == 3  # posting, survey, vote


def test_routes_before_and_after_the_reform() -> None:
    before = REFORM_DATE - dt.timedelta(days=1)
    commune = route_for(RecognitionLevel.COMMUNE_NTM, before)
    assert commune.authority_kinds[0] == UnitKind.DISTRICT and commune.decider_kinds == (UnitKind.PROVINCE,)
    after = route_for(RecognitionLevel.COMMUNE_ADVANCED, REFORM_DATE)
    assert after.authority_kinds == (UnitKind.PROVINCE,) and after.decider_kinds == (UnitKind.PROVINCE,)
    # the district-tier unit decides: a huyện, or a thị xã / thành phố thuộc tỉnh for the hamlets of its communes
    assert route_for(RecognitionLevel.HAMLET_NTM, before).decider_kinds == (UnitKind.DISTRICT, UnitKind.DISTRICT_TOWN)
    assert route_for(RecognitionLevel.HAMLET_NTM, REFORM_DATE).decider_kinds == (UnitKind.COMMUNE,)
    assert route_for(RecognitionLevel.DISTRICT_NTM, before).records_national_decision
    with pytest.raises(GuardFailed) as failed:
        route_for(RecognitionLevel.DISTRICT_NTM, REFORM_DATE)
    assert "không còn cấp huyện" in str(failed.value)


def test_town_and_district_town_routes_before_and_after_the_reform() -> None:
    before = REFORM_DATE - dt.timedelta(days=1)
    town = route_for(RecognitionLevel.TOWN_CIVILIZED, before)
    assert (town.applicant_kind, town.authority_kinds, town.decider_kinds) == (
        UnitKind.TOWN,
        (UnitKind.DISTRICT, UnitKind.PROVINCE),
        (UnitKind.PROVINCE,),
    )
    assert not town.records_national_decision and town.basis.confidence == Confidence.LOW
    assert "04/2022/QĐ-TTg" in town.basis.value
    # a tổ dân phố is a hamlet under a thị trấn: its town appraises it as a commune does
    hamlet = route_for(RecognitionLevel.HAMLET_MODEL, before)
    assert hamlet.authority_kinds == (UnitKind.COMMUNE, UnitKind.TOWN)
    district_town = route_for(RecognitionLevel.DISTRICT_TOWN_COMPLETED, before)
    assert (district_town.applicant_kind, district_town.authority_kinds) == (
        UnitKind.DISTRICT_TOWN,
        (UnitKind.PROVINCE,),
    )
    assert district_town.records_national_decision and "Thủ tướng" in district_town.decider_title
    # a commune of a thị xã is appraised by the thị xã before the reform
    assert route_for(RecognitionLevel.COMMUNE_NTM, before).authority_kinds[:2] == (
        UnitKind.DISTRICT,
        UnitKind.DISTRICT_TOWN,
    )
    for level, ended in (
        (RecognitionLevel.TOWN_CIVILIZED, "không còn thị trấn"),
        (RecognitionLevel.DISTRICT_TOWN_COMPLETED, "không còn thị xã, thành phố thuộc tỉnh"),
    ):
        with pytest.raises(GuardFailed) as failed:
            route_for(level, REFORM_DATE)
        assert ended in str(failed.value)


def test_every_procedure_submits_with_the_same_action_name() -> None:
    for procedure in PROCEDURES.values():
        assert Action.SUBMIT in procedure.actions


@pytest.mark.parametrize(
    ("level", "state", "submitted", "complete"),
    [
        ("commune-ntm", "registered", False, False),
        ("commune-ntm", "consultation", False, False),
        ("commune-ntm", "under_appraisal", True, False),
        ("commune-ntm", "returned", True, False),
        ("commune-ntm", "appraised", True, True),
        ("commune-ntm", "forwarded", True, True),
        ("commune-ntm", "recognised", True, True),
        ("commune-ntm", "refused", True, True),
        ("commune-ntm", "withdrawn", False, False),
        ("hamlet-ntm", "self_assessment", False, False),
        ("hamlet-ntm", "under_appraisal", True, False),
        ("hamlet-ntm", "appraised", True, True),
        ("district-advanced", "returned", True, False),
    ],
)
def test_milestones(level: str, state: str, submitted: bool, complete: bool) -> None:
    assert milestone_reached(RecognitionLevel(level), state, "submitted") is submitted
    assert milestone_reached(RecognitionLevel(level), state, "complete") is complete


def test_milestone_errors() -> None:
    assert MILESTONES == ("submitted", "complete")
    with pytest.raises(ValueError, match="unknown milestone"):
        milestone_reached(RecognitionLevel.COMMUNE_NTM, "appraised", "approved")
    with pytest.raises(ValueError, match="no state"):
        milestone_reached(RecognitionLevel.COMMUNE_NTM, "nowhere", "submitted")
    # ported: thị trấn đô thị văn minh now has a procedure (issue 10 §3); a hamlet has no revocation procedure
    with pytest.raises(UnknownProcedure):
        procedure_for(RecognitionLevel.HAMLET_NTM, DossierKind.REVOCATION)
    assert milestone_reached("commune-ntm", "revoked", "complete", kind=DossierKind.REVOCATION)


def test_step_limits_carry_their_source() -> None:
    procedure = procedure_for(RecognitionLevel.COMMUNE_NTM)
    registered = step_limit(procedure, "registered", UnitKind.DISTRICT)
    assert registered is not None and registered.value == 5 and "5 ngày làm việc" in registered.source
    district = step_limit(procedure, "under_appraisal", UnitKind.DISTRICT)
    province = step_limit(procedure, "under_appraisal", UnitKind.PROVINCE)
    assert district is not None and province is not None and (district.value, province.value) == (15, 20)
    assert step_limit(procedure, "consultation", UnitKind.DISTRICT) is None


@pytest.mark.parametrize(
    ("failed", "key", "fires"),
    [
        ([1, 2, 3, 4, 5], [10, 17, 19], False),  # 5/19 < 30 %
        ([1, 2, 3, 4, 5, 6], [10, 17, 19], False),  # 31.6 % without a key criterion
        ([1, 2, 3, 4, 5, 17], [10, 17, 19], True),  # 31.6 % with environment
        (list(range(1, 10)), [10, 17, 19], False),  # 47 % without a key criterion
        (list(range(1, 11)), [], True),  # 10/19 ≥ 50 %
    ],
)
def test_revocation_rule(failed: list[int], key: list[int], fires: bool) -> None:
    finding = revocation_finding(19, failed, key)
    assert (finding is not None) is fires
    if finding is not None:
        assert str(len(set(failed))) in finding.reason


def test_revocation_rule_for_districts_counts_revoked_communes() -> None:
    assert revocation_finding(9, [], [], revoked_communes_share=0.3) is not None
    assert revocation_finding(9, [], [], revoked_communes_share=0.29) is None


def test_condition_confirmers_default_to_finance_and_police() -> None:
    assert DEFAULT_RULES.confirmers_of(NO_CONSTRUCTION_DEBT) == ("tc-kh", "so-tc", "so-tc-kh")
    assert DEFAULT_RULES.conditions_confirmed_by("so-cong-an") == (NOT_COMPLEX_SECURITY,)
