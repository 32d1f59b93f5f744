"""Regimes as dated values: which one applies on a day, what it offers, what it refuses and why, and a
province's figures laid over it."""

from __future__ import annotations

import datetime as dt

import pytest

from workflow.deadlines import DEADLINE_RULES_2026_2030
from workflow.facts import Facts
from workflow.guards import ALL_MET, NO_DEBT_CONFIRMED
from workflow.regimes import (
    REGIME_2021_2025,
    REGIME_2026_2030,
    ProvinceFigures,
    SetTerms,
    UnknownRegime,
    regime_for,
    regime_for_year,
    regime_named,
)
from workflow.rules import DEFAULT_RULES, NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY, RULES_2026_2030
from workflow.thresholds import parse_threshold, reaches, threshold_of
from workflow.vocabulary import Confidence, RecognitionLevel

XA_2021 = SetTerms("xa-ntm-2021", "xa-ntm-2021 v1", ("commune-ntm",), 2021, 2025, dt.date(2022, 3, 8))
NANG_CAO_2021 = SetTerms("xa-ntm-nang-cao-2021", "xa-ntm-nang-cao-2021 v1", ("commune-advanced",), 2021, 2025, None)
XA_2026 = SetTerms(
    "xa-ntm-2026", "xa-ntm-2026 v1", ("commune-ntm",), 2026, 2030, dt.date(2026, 2, 15), ("nhom-1", "nhom-2", "nhom-3")
)
HAMLET_CB = SetTerms("thon-ntm-cao-bang", "thon-ntm-cao-bang v1", ("hamlet-ntm",), 2021, 2025, None)

CAO_BANG_2025 = ProvinceFigures(
    province="Cao Bằng",
    province_code="04",
    regime="2021-2025",
    first_year=2025,
    last_year=2025,
    source="Seed 004 VI.3",
    confidence=Confidence.VERIFIED,
    required_conditions={RecognitionLevel.HAMLET_NTM: (NO_CONSTRUCTION_DEBT,)},
)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (dt.date(2025, 6, 30), "2021-2025"),
        (dt.date(2025, 9, 1), "2021-2025"),
        (dt.date(2026, 2, 14), "2021-2025"),  # QĐ 51/2025 takes effect on 15/02/2026
        (dt.date(2026, 2, 15), "2026-2030"),
        (dt.date(2026, 11, 30), "2026-2030"),
    ],
)
def test_the_regime_follows_from_the_day(day: dt.date, code: str) -> None:
    assert regime_for(day).code == code


def test_regimes_by_year_and_by_code() -> None:
    assert regime_for_year(2025) is REGIME_2021_2025 and regime_for_year(2027) is REGIME_2026_2030
    assert regime_named("2026-2030") is REGIME_2026_2030
    with pytest.raises(UnknownRegime, match="2031-2035"):
        regime_named("2031-2035")


def test_each_regime_offers_its_own_levels() -> None:
    assert REGIME_2021_2025.levels() == (
        RecognitionLevel.COMMUNE_NTM,
        RecognitionLevel.COMMUNE_ADVANCED,
        RecognitionLevel.COMMUNE_MODEL,
        RecognitionLevel.HAMLET_NTM,
        RecognitionLevel.HAMLET_MODEL,
        RecognitionLevel.DISTRICT_NTM,
        RecognitionLevel.DISTRICT_ADVANCED,
        # seed 000: thị trấn đô thị văn minh (QĐ 04/2022); seed 003: thị xã, TP hoàn thành nhiệm vụ (QĐ 320)
        RecognitionLevel.TOWN_CIVILIZED,
        RecognitionLevel.DISTRICT_TOWN_COMPLETED,
    )
    # QĐ 51/2025: one commune set, no nâng cao / kiểu mẫu; no districts; the hiện đại pilot only when switched on
    assert REGIME_2026_2030.levels() == (
        RecognitionLevel.COMMUNE_NTM,
        RecognitionLevel.HAMLET_NTM,
        RecognitionLevel.HAMLET_MODEL,
    )
    piloting = REGIME_2026_2030.with_figures(
        [ProvinceFigures("Tỉnh Thử", "2026-2030", 2026, 2030, "QĐ thí điểm của tỉnh", Confidence.HIGH,
                         pilots=(RecognitionLevel.COMMUNE_MODERN,))]
    )  # fmt: skip
    assert RecognitionLevel.COMMUNE_MODERN in piloting.levels()
    assert piloting.figures == ("QĐ thí điểm của tỉnh",)


def test_registration_in_2026_refuses_the_2021_2025_sets_naming_the_set_and_the_dates() -> None:
    today = dt.date(2026, 3, 2)
    refusals = REGIME_2026_2030.registration_refusals(
        RecognitionLevel.COMMUNE_NTM, 2026, XA_2021, today, commune_group="nhom-3", grouped_unit=True
    )
    assert refusals == [
        "bộ tiêu chí xa-ntm-2021 v1 thuộc giai đoạn 2021-2025, không dùng được trong giai đoạn 2026-2030 "
        "(QĐ 51/2025/QĐ-TTg, áp dụng từ ngày 15/02/2026)"
    ]
    advanced = REGIME_2026_2030.registration_refusals(RecognitionLevel.COMMUNE_ADVANCED, 2026, NANG_CAO_2021, today)
    assert advanced[0] == (
        "giai đoạn 2026-2030 (QĐ 51/2025/QĐ-TTg, áp dụng từ ngày 15/02/2026) không xét công nhận «Xã đạt chuẩn "
        "nông thôn mới nâng cao» (chỉ xét «Xã đạt chuẩn nông thôn mới», «Thôn đạt chuẩn nông thôn mới» và «Thôn "
        "nông thôn mới kiểu mẫu»)"
    )
    pilot = REGIME_2026_2030.registration_refusals(RecognitionLevel.COMMUNE_MODERN, 2026, XA_2026, today)
    assert "là cấp thí điểm" in pilot[0] and "tỉnh chưa đăng ký thí điểm" in pilot[0]
    assert not REGIME_2026_2030.registration_refusals(
        RecognitionLevel.COMMUNE_NTM, 2026, XA_2026, today, commune_group="nhom-1", grouped_unit=True
    )


def test_registration_in_2025_refuses_the_2026_set_and_the_year_2026() -> None:
    today = dt.date(2025, 9, 1)
    refusals = REGIME_2021_2025.registration_refusals(RecognitionLevel.COMMUNE_NTM, 2025, XA_2026, today)
    assert refusals == [
        "bộ tiêu chí xa-ntm-2026 v1 thuộc giai đoạn 2026-2030, không dùng được trong giai đoạn 2021-2025 "
        "(QĐ 318, 319, 320/QĐ-TTg ngày 08/3/2022, QĐ 18/2022/QĐ-TTg)",
        "bộ tiêu chí xa-ntm-2026 v1 có hiệu lực từ ngày 15/02/2026, chưa áp dụng vào ngày 01/09/2025",
    ]
    late = REGIME_2021_2025.registration_refusals(RecognitionLevel.COMMUNE_NTM, 2026, XA_2021, today)
    assert late[0].startswith("năm 2026 không thuộc giai đoạn 2021-2025") and "01/09/2025" in late[0]
    assert "không cho năm 2026" in late[1]


def test_a_commune_needs_its_group_where_the_set_distinguishes_groups() -> None:
    today = dt.date(2026, 3, 2)
    ungrouped = REGIME_2026_2030.registration_refusals(
        RecognitionLevel.COMMUNE_NTM, 2026, XA_2026, today, commune_group=None, grouped_unit=True
    )
    assert ungrouped == [
        "xã chưa được xếp nhóm (nhom-1/nhom-2/nhom-3) theo bộ tiêu chí xa-ntm-2026 v1: ngưỡng các chỉ tiêu tùy theo "
        "nhóm xã"
    ]
    wrong = REGIME_2026_2030.registration_refusals(
        RecognitionLevel.COMMUNE_NTM, 2026, XA_2026, today, commune_group="nhom-4", grouped_unit=True
    )
    assert wrong == ["nhóm xã «nhom-4» không có trong bộ tiêu chí xa-ntm-2026 v1 (nhom-1/nhom-2/nhom-3)"]


def test_a_2026_registration_offers_the_2026_2030_set_first() -> None:
    offered = sorted([XA_2021, HAMLET_CB, XA_2026], key=REGIME_2026_2030.offer_order)
    assert offered[0] is XA_2026
    assert sorted([XA_2026, XA_2021], key=REGIME_2021_2025.offer_order)[0] is XA_2021


def test_thresholds_and_deadline_rules_are_per_regime() -> None:
    assert REGIME_2021_2025.rules is DEFAULT_RULES and REGIME_2026_2030.rules is RULES_2026_2030
    satisfaction = RULES_2026_2030.satisfaction_for(RecognitionLevel.COMMUNE_NTM)
    assert (
        satisfaction is not None and satisfaction.confidence == Confidence.LOW and "QĐ 51/2025" in satisfaction.source
    )
    assert RULES_2026_2030.satisfaction_for(RecognitionLevel.COMMUNE_ADVANCED) is None
    rules = {rule.code: rule for rule in DEADLINE_RULES_2026_2030}
    assert not rules["department-difficulties"].enabled  # no district departments after 1/7/2025
    assert rules["dossier-submission"].confidence == Confidence.LOW
    assert REGIME_2026_2030.deadline_rules is DEADLINE_RULES_2026_2030


def test_a_province_adds_the_debt_check_for_hamlets_without_a_code_change() -> None:
    hamlet = Facts(level=RecognitionLevel.HAMLET_NTM, today=dt.date(2025, 9, 1))
    assert DEFAULT_RULES.conditions_for(RecognitionLevel.HAMLET_NTM) == ()
    assert NO_DEBT_CONFIRMED.missing(hamlet, DEFAULT_RULES) == []
    cao_bang = REGIME_2021_2025.with_figures([CAO_BANG_2025]).rules
    assert cao_bang.conditions_for(RecognitionLevel.HAMLET_NTM) == (NO_CONSTRUCTION_DEBT,)
    assert cao_bang.required_conditions[RecognitionLevel.HAMLET_NTM].source == "Seed 004 VI.3"
    assert NO_DEBT_CONFIRMED.missing(hamlet, cao_bang) == ["chưa có xác nhận «không có nợ đọng xây dựng cơ bản»"]
    confirmed = Facts(
        level=RecognitionLevel.HAMLET_NTM, today=dt.date(2025, 9, 1), conditions={NO_CONSTRUCTION_DEBT: True}
    )
    assert NO_DEBT_CONFIRMED.missing(confirmed, cao_bang) == []
    # the district's finance office (the hamlet's decider before 1/7/2025) confirms, not the commune (authority)
    assert cao_bang.confirming_unit_id(RecognitionLevel.HAMLET_NTM, 10, 20) == 20
    assert cao_bang.confirming_unit_id(RecognitionLevel.COMMUNE_NTM, 10, 20) == 10
    assert cao_bang.conditions_for(RecognitionLevel.COMMUNE_NTM) == (NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY)
    assert CAO_BANG_2025.applies("2021-2025", "Cao Bằng", "04", 2025)
    assert not CAO_BANG_2025.applies("2021-2025", "Cao Bằng", "04", 2024)
    assert not CAO_BANG_2025.applies("2021-2025", "Tỉnh Thử", None, 2025)


def test_a_province_replaces_a_figure_with_its_source() -> None:
    figures = ProvinceFigures(
        "Tỉnh Thử", "2026-2030", 2026, 2026, "QĐ 12/2026/QĐ-UBND tỉnh Thử", Confidence.HIGH,
        rule_values={"posting_days": 10, "satisfaction": {"commune-ntm": 0.85}},
    )  # fmt: skip
    rules = REGIME_2026_2030.with_figures([figures]).rules
    assert (rules.posting_days.value, rules.posting_days.source) == (10, "QĐ 12/2026/QĐ-UBND tỉnh Thử")
    satisfaction = rules.satisfaction_for(RecognitionLevel.COMMUNE_NTM)
    assert satisfaction is not None and satisfaction.value == 0.85
    with pytest.raises(ValueError, match="không thay được «condition_seat»"):
        ProvinceFigures(
            "Tỉnh Thử", "2026-2030", 2026, 2026, "x", Confidence.LOW, rule_values={"condition_seat": "decider"}
        ).apply(RULES_2026_2030)
    with pytest.raises(ValueError, match="2021-2025"):
        REGIME_2026_2030.with_figures([CAO_BANG_2025])


def test_threshold_texts_that_are_comparisons_are_checked() -> None:
    assert parse_threshold("≥ 90%") is not None and parse_threshold("Đạt") is None and parse_threshold(None) is None
    assert reaches("92", "≥ 90%") is True and reaches("85,5 %", "≥ 90%") is False
    assert reaches("2,5", "≤ 3%") is True and reaches("4", "< 3") is False
    assert reaches("đạt", "≥ 90%") is None and reaches("5", "Đạt") is None
    thresholds = {"default": "≥ 80%", "by_region": {"TDMNPB": "≥ 70%"}, "by_group": {"nhom-3": "≥ 60%"}}
    assert threshold_of(thresholds, "TDMNPB", "nhom-3") == "≥ 60%"
    assert threshold_of(thresholds, "TDMNPB", "nhom-1") == "≥ 70%"
    assert threshold_of(thresholds, None, None) == "≥ 80%"


def test_a_value_below_the_groups_threshold_is_not_met_whatever_was_declared() -> None:
    facts = Facts(
        level=RecognitionLevel.COMMUNE_NTM,
        today=dt.date(2026, 9, 1),
        indicators=("6.1", "6.2"),
        below_threshold={"6.2": ("5 %", "≤ 2%")},
    )
    assert ALL_MET.missing(facts, RULES_2026_2030) == [
        "chỉ tiêu 6.2: giá trị 5 % chưa đạt ngưỡng «≤ 2%» áp dụng cho đơn vị"
    ]
