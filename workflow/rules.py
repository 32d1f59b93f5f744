"""Thresholds and time limits of the procedures: configurable defaults, each with its source.

Much of QĐ 18/2022 could not be checked against the full text (see shared/reference/procedure.md):
every number here is a default a province may override (`dataclasses.replace(DEFAULT_RULES, ...)`),
and carries where it comes from and how sure we are, so the UI can show it next to a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from workflow.vocabulary import Confidence, RecognitionLevel, UnitKind

T = TypeVar("T")


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A value together with the text it comes from and how sure we are of it."""

    value: T
    source: str
    confidence: Confidence


QD18 = "QĐ 18/2022/QĐ-TTg"
UNVERIFIED_QD18 = f"{QD18} (chưa đối chiếu toàn văn; theo quy định 2016-2020)"

#: condition codes of QĐ 18/2022 that a department of the appraising authority confirms
NO_CONSTRUCTION_DEBT = "no_construction_debt"
NOT_COMPLEX_SECURITY = "not_complex_security"

CONDITION_LABELS: dict[str, str] = {
    NO_CONSTRUCTION_DEBT: "không có nợ đọng xây dựng cơ bản",
    NOT_COMPLEX_SECURITY: "không phải địa bàn phức tạp về an ninh, trật tự",
}


def _satisfaction_defaults() -> dict[RecognitionLevel, Sourced[float]]:
    commune = "QĐ 318/QĐ-TTg, QĐ 18/2022 (tỷ lệ hài lòng 'theo quy định'; 90 %/95 % chưa đối chiếu)"
    return {
        RecognitionLevel.COMMUNE_NTM: Sourced(0.90, commune, Confidence.LOW),
        RecognitionLevel.COMMUNE_ADVANCED: Sourced(0.95, commune, Confidence.LOW),
        RecognitionLevel.COMMUNE_MODEL: Sourced(0.95, commune, Confidence.LOW),
        RecognitionLevel.DISTRICT_NTM: Sourced(0.90, "QĐ 320/QĐ-TTg (huyện NTM: hài lòng ≥ 90 %)", Confidence.VERIFIED),
        RecognitionLevel.DISTRICT_ADVANCED: Sourced(0.90, "QĐ 320/QĐ-TTg (giả định như huyện NTM)", Confidence.LOW),
        RecognitionLevel.TOWN_CIVILIZED: Sourced(
            0.90, "QĐ 04/2022/QĐ-TTg (toàn văn chưa thu thập): giả định như xã NTM", Confidence.LOW
        ),
        RecognitionLevel.DISTRICT_TOWN_COMPLETED: Sourced(
            0.90, "QĐ 320/QĐ-TTg (giả định như huyện NTM: hài lòng ≥ 90 %)", Confidence.LOW
        ),
    }


def _survey_reach_defaults() -> dict[UnitKind, Sourced[float]]:
    source = "Hướng dẫn của MTTQ tỉnh (Ninh Thuận, Tây Ninh), giai đoạn trước"
    return {
        UnitKind.COMMUNE: Sourced(0.70, f"{source}: ≥ 70 % số hộ khi xét xã", Confidence.MEDIUM),
        UnitKind.DISTRICT: Sourced(0.60, f"{source}: ≥ 60 % số hộ khi xét huyện", Confidence.MEDIUM),
        UnitKind.TOWN: Sourced(0.70, f"{source}: ≥ 70 % số hộ khi xét xã (giả định cho thị trấn)", Confidence.LOW),
        UnitKind.DISTRICT_TOWN: Sourced(
            0.60, f"{source}: ≥ 60 % số hộ khi xét huyện (giả định cho thị xã, thành phố)", Confidence.LOW
        ),
    }


def _required_conditions_default() -> dict[RecognitionLevel, Sourced[tuple[str, ...]]]:
    both: tuple[str, ...] = (NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY)
    commune = Sourced(both, f"{QD18}: điều kiện xét công nhận xã (nợ đọng XDCB, an ninh trật tự)", Confidence.HIGH)
    district = Sourced(both, f"{QD18}: điều kiện xét công nhận huyện", Confidence.HIGH)
    return {
        **{level: commune for level in _COMMUNE_LEVELS},
        RecognitionLevel.DISTRICT_NTM: district,
        RecognitionLevel.DISTRICT_ADVANCED: district,
        RecognitionLevel.TOWN_CIVILIZED: Sourced(
            both, "QĐ 04/2022/QĐ-TTg (chưa thu thập): giả định như điều kiện xét xã", Confidence.LOW
        ),
        RecognitionLevel.DISTRICT_TOWN_COMPLETED: Sourced(
            both, f"{QD18}: điều kiện xét huyện (giả định cho thị xã, thành phố)", Confidence.LOW
        ),
    }


_HAMLET_LEVELS = (RecognitionLevel.HAMLET_NTM, RecognitionLevel.HAMLET_MODEL)

#: the 2021-2025 commune levels the QĐ 18/2022 conditions guard (routes imports rules, so listed here)
_COMMUNE_LEVELS = (RecognitionLevel.COMMUNE_NTM, RecognitionLevel.COMMUNE_ADVANCED, RecognitionLevel.COMMUNE_MODEL)

#: whose departments confirm the conditions of a dossier: the appraising authority's or the deciding unit's
AUTHORITY_SEAT = "authority"
DECIDER_SEAT = "decider"


def _confirmers_default() -> dict[str, tuple[str, ...]]:
    # Seed 004 VI.3: Phòng Tài chính - Kế hoạch "thẩm tra nội dung nợ đọng xây dựng cơ bản";
    # VI.12: Công an huyện owns security (19.2). Without districts the provincial "Sở" of the same field confirms.
    return {
        NO_CONSTRUCTION_DEBT: ("tc-kh", "so-tc", "so-tc-kh"),
        NOT_COMPLEX_SECURITY: ("cong-an", "so-ca", "so-cong-an"),
    }


@dataclass(frozen=True)
class Rules:
    """Every number the guards and step limits use. Replace fields to configure a province or period."""

    posting_days: Sourced[int] = Sourced(15, f"{UNVERIFIED_QD18}: niêm yết công khai báo cáo 15 ngày", Confidence.LOW)
    posting_announcements: Sourced[int] = Sourced(
        5, "Yêu cầu của dự án (issue 3): thông báo ít nhất 5 lần; chưa đối chiếu văn bản", Confidence.LOW
    )
    survey_reach: dict[UnitKind, Sourced[float]] = field(default_factory=_survey_reach_defaults)
    satisfaction: dict[RecognitionLevel, Sourced[float]] = field(default_factory=_satisfaction_defaults)
    vote_share: Sourced[float] = Sourced(
        0.90, "TT 40/2014 (thủ tục Vĩnh Phúc): ≥ 90 % người dự họp đồng ý; chưa đối chiếu QĐ 18/2022", Confidence.MEDIUM
    )
    hamlet_announcement_days: Sourced[int] = Sourced(
        10, "QĐ 2392/2017/QĐ-UBND Thanh Hóa (TTHC 1.007200): thông báo trên đài xã 10 ngày", Confidence.MEDIUM
    )
    hamlet_vote_share: Sourced[float] = Sourced(
        0.90, "QĐ 2392/2017/QĐ-UBND Thanh Hóa: ≥ 90 % số phiếu đồng ý", Confidence.MEDIUM
    )
    model_income_margin: Sourced[float] = Sourced(
        0.10, "QĐ 319/QĐ-TTg: thu nhập cao hơn ít nhất 10 % mức của xã NTM nâng cao", Confidence.VERIFIED
    )
    model_smart_hamlets: Sourced[int] = Sourced(
        1, "QĐ 319/QĐ-TTg: có ít nhất 1 mô hình thôn thông minh", Confidence.VERIFIED
    )
    revocation_lower_share: Sourced[float] = Sourced(
        0.30, f"{QD18}: 30 % đến dưới 50 % tiêu chí không đạt, có tiêu chí trọng yếu", Confidence.VERIFIED
    )
    revocation_upper_share: Sourced[float] = Sourced(0.50, f"{QD18}: từ 50 % tiêu chí không đạt", Confidence.VERIFIED)
    district_revoked_communes_share: Sourced[float] = Sourced(
        0.30, f"{QD18}: từ 30 % số xã bị thu hồi quyết định công nhận", Confidence.VERIFIED
    )
    #: condition → department codes (of the unit in `condition_seat`) whose officers confirm it
    condition_confirmers: dict[str, tuple[str, ...]] = field(default_factory=_confirmers_default)
    #: level → the conditions its dossiers need confirmed before they are forwarded and recognised
    required_conditions: dict[RecognitionLevel, Sourced[tuple[str, ...]]] = field(
        default_factory=_required_conditions_default
    )
    #: level → whose departments confirm the conditions (`AUTHORITY_SEAT` unless listed): a hamlet's
    #: authority is its commune, and the district's finance office confirms the debt (seed 004 VI.3)
    condition_seat: dict[RecognitionLevel, str] = field(
        default_factory=lambda: {level: DECIDER_SEAT for level in _HAMLET_LEVELS}
    )
    #: an indicator no department owns is appraised by the authority's coordinator (True) or blocks submission
    unowned_to_coordinator: Sourced[bool] = Sourced(
        True,
        "Thiết kế: Văn phòng điều phối/cơ quan thường trực thẩm tra chỉ tiêu chưa được phân công "
        "(seed 004 không phân công tiêu chí 10)",
        Confidence.LOW,
    )
    registration_confirmation_days: Sourced[int] = Sourced(
        5,
        "TT 40/2014 (thủ tục Lâm Đồng, Đắk Nông): UBND huyện xác nhận đăng ký trong 5 ngày làm việc",
        Confidence.MEDIUM,
    )
    appraisal_days: dict[UnitKind, Sourced[int]] = field(
        default_factory=lambda: {
            UnitKind.DISTRICT: Sourced(
                15,
                "Thủ tục Thừa Thiên Huế (giai đoạn trước): UBND huyện trả lời trong 15 ngày làm việc",
                Confidence.MEDIUM,
            ),
            UnitKind.PROVINCE: Sourced(
                20, f"{UNVERIFIED_QD18}: thẩm định cấp tỉnh khoảng 20 ngày làm việc", Confidence.LOW
            ),
            UnitKind.COMMUNE: Sourced(10, "Chưa quy định (thôn): mặc định của hệ thống", Confidence.LOW),
            UnitKind.TOWN: Sourced(10, "Chưa quy định (tổ dân phố): như thôn, mặc định của hệ thống", Confidence.LOW),
            UnitKind.DISTRICT_TOWN: Sourced(
                15, "Như UBND huyện (thủ tục Thừa Thiên Huế, giai đoạn trước): 15 ngày làm việc", Confidence.LOW
            ),
        }
    )
    decision_days: Sourced[int] = Sourced(
        10, f"{UNVERIFIED_QD18}: quyết định công nhận 5-10 ngày làm việc sau tờ trình", Confidence.LOW
    )

    def satisfaction_for(self, level: RecognitionLevel) -> Sourced[float] | None:
        return self.satisfaction.get(level)

    def survey_reach_for(self, applicant_kind: UnitKind) -> Sourced[float] | None:
        return self.survey_reach.get(applicant_kind)

    def conditions_for(self, level: RecognitionLevel | str) -> tuple[str, ...]:
        """The conditions a dossier of `level` needs confirmed (none: the level has no such step)."""
        found = self.required_conditions.get(RecognitionLevel(level))
        return found.value if found is not None else ()

    def requires(self, condition: str, level: RecognitionLevel | str) -> bool:
        return condition in self.conditions_for(level)

    def confirming_seat(self, level: RecognitionLevel | str) -> str:
        return self.condition_seat.get(RecognitionLevel(level), AUTHORITY_SEAT)

    def confirming_unit_id(
        self, level: RecognitionLevel | str, authority_unit_id: int, decider_unit_id: int | None
    ) -> int:
        """The unit whose departments confirm the conditions of a dossier of `level` with these seats."""
        if self.confirming_seat(level) == DECIDER_SEAT and decider_unit_id is not None:
            return decider_unit_id
        return authority_unit_id

    def confirmers_of(self, condition: str) -> tuple[str, ...]:
        return self.condition_confirmers.get(condition, ())

    def conditions_confirmed_by(self, department_code: str) -> tuple[str, ...]:
        return tuple(c for c, codes in self.condition_confirmers.items() if department_code in codes)


#: the 2021-2025 thresholds (QĐ 318, 319, 320, 18/2022); what a dossier pinned to no regime reads
DEFAULT_RULES = Rules()
RULES_2021_2025 = DEFAULT_RULES

QD51 = "QĐ 51/2025/QĐ-TTg"
_CARRIED = f"{QD51} chưa thu thập quy định này; tạm giữ mức giai đoạn 2021-2025"


def _satisfaction_2026() -> dict[RecognitionLevel, Sourced[float]]:
    ntm = _satisfaction_defaults()[RecognitionLevel.COMMUNE_NTM]
    return {
        RecognitionLevel.COMMUNE_NTM: Sourced(ntm.value, f"{_CARRIED} ({ntm.source})", Confidence.LOW),
        RecognitionLevel.COMMUNE_MODERN: Sourced(
            0.95, f"{QD51} Phụ lục II (thí điểm, chưa thu thập): giả định như xã kiểu mẫu 2021-2025", Confidence.LOW
        ),
    }


def _conditions_2026() -> dict[RecognitionLevel, Sourced[tuple[str, ...]]]:
    both: tuple[str, ...] = (NO_CONSTRUCTION_DEBT, NOT_COMPLEX_SECURITY)
    carried = Sourced(both, f"{_CARRIED} (điều kiện của {QD18})", Confidence.LOW)
    return {RecognitionLevel.COMMUNE_NTM: carried, RecognitionLevel.COMMUNE_MODERN: carried}


#: the 2026-2030 thresholds: QĐ 51/2025 sets the criteria; the procedure's figures are not collected yet,
#: so those of 2021-2025 are carried with a low confidence and say so (a province replaces them as data)
RULES_2026_2030 = replace(
    DEFAULT_RULES,
    satisfaction=_satisfaction_2026(),
    required_conditions=_conditions_2026(),
    posting_days=Sourced(DEFAULT_RULES.posting_days.value, f"{_CARRIED} (15 ngày niêm yết)", Confidence.LOW),
    vote_share=Sourced(DEFAULT_RULES.vote_share.value, f"{_CARRIED} (≥ 90 % đồng ý)", Confidence.LOW),
)
