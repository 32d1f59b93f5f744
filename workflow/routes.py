"""Who appraises and who decides, per level and per period: the route is data, not code.

Before 1/7/2025 a commune's dossier went to its district (district departments appraised, the
district forwarded) and the provincial chairman recognised; from 1/7/2025 there is no district:
provincial departments appraise and the provincial chairman recognises. Hamlets were recognised by
the district chairman, and after the reform by the commune chairman. The same procedure
definitions run both routes; only the units filling the seats change.

Before 1/7/2025 a thị xã / thành phố thuộc tỉnh (`UnitKind.DISTRICT_TOWN`) stood where a huyện stands for its
communes and their hamlets; a tổ dân phố is a hamlet under a thị trấn, which appraises it as a commune does its
hamlets. Thị trấn (đô thị văn minh) and thị xã (hoàn thành nhiệm vụ) ended with the district tier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.actions import Action
from workflow.errors import GuardFailed
from workflow.rules import Sourced
from workflow.vocabulary import Confidence, RecognitionLevel, UnitKind

#: NĐ 131/2025/NĐ-CP and the two-tier local government take effect
REFORM_DATE = dt.date(2025, 7, 1)

COMMUNE_LEVELS = (
    RecognitionLevel.COMMUNE_NTM,
    RecognitionLevel.COMMUNE_ADVANCED,
    RecognitionLevel.COMMUNE_MODEL,
    RecognitionLevel.COMMUNE_MODERN,
)
HAMLET_LEVELS = (RecognitionLevel.HAMLET_NTM, RecognitionLevel.HAMLET_MODEL)
DISTRICT_LEVELS = (RecognitionLevel.DISTRICT_NTM, RecognitionLevel.DISTRICT_ADVANCED)
#: thị trấn "đô thị văn minh" (QĐ 04/2022/QĐ-TTg)
TOWN_LEVELS = (RecognitionLevel.TOWN_CIVILIZED,)
#: thị xã / thành phố thuộc tỉnh "hoàn thành nhiệm vụ xây dựng NTM" (QĐ 320/QĐ-TTg)
DISTRICT_TOWN_LEVELS = (RecognitionLevel.DISTRICT_TOWN_COMPLETED,)
#: the district tier before 1/7/2025: a huyện, or a thị xã / thành phố thuộc tỉnh, appraises its communes
DISTRICT_TIER = (UnitKind.DISTRICT, UnitKind.DISTRICT_TOWN)


@dataclass(frozen=True)
class Route:
    """The seats of a procedure for a period.

    `authority_kinds`: the nearest ancestor of the applicant of the first kind found (valid on the
    registration day) is the appraising authority, whose departments appraise.
    `decider_kinds`: likewise for the unit whose leader decides (or, for national decisions, whose
    coordinator records the decision).
    """

    code: str
    levels: tuple[RecognitionLevel, ...]
    applicant_kind: UnitKind
    valid_from: dt.date | None
    valid_to: dt.date | None
    authority_kinds: tuple[UnitKind, ...]
    decider_kinds: tuple[UnitKind, ...]
    decider_title: str
    #: the decider's seat only records a decision taken above the unit tree (the Prime Minister's)
    records_national_decision: bool
    basis: Sourced[str]

    def covers(self, level: RecognitionLevel, day: dt.date) -> bool:
        return (
            level in self.levels
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )


_BEFORE = REFORM_DATE - dt.timedelta(days=1)

ROUTES: tuple[Route, ...] = (
    Route(
        code="commune-via-district",
        levels=COMMUNE_LEVELS,
        applicant_kind=UnitKind.COMMUNE,
        valid_from=None,
        valid_to=_BEFORE,
        authority_kinds=(*DISTRICT_TIER, UnitKind.PROVINCE),
        decider_kinds=(UnitKind.PROVINCE,),
        decider_title="Chủ tịch UBND tỉnh",
        records_national_decision=False,
        basis=Sourced(
            "QĐ 18/2022/QĐ-TTg: UBND huyện thẩm tra (các phòng chuyên môn), trình UBND tỉnh; "
            "Chủ tịch UBND tỉnh công nhận",
            "shared/reference/procedure.md §3, §6.1",
            Confidence.HIGH,
        ),
    ),
    Route(
        code="commune-to-province",
        levels=COMMUNE_LEVELS,
        applicant_kind=UnitKind.COMMUNE,
        valid_from=REFORM_DATE,
        valid_to=None,
        authority_kinds=(UnitKind.PROVINCE,),
        decider_kinds=(UnitKind.PROVINCE,),
        decider_title="Chủ tịch UBND tỉnh",
        records_national_decision=False,
        basis=Sourced(
            "NĐ 131/2025/NĐ-CP: không còn cấp huyện; các Sở thẩm định, Chủ tịch UBND tỉnh công nhận",
            "shared/reference/procedure.md §8 (suy luận, chưa đối chiếu)",
            Confidence.LOW,
        ),
    ),
    Route(
        code="hamlet-to-district",
        levels=HAMLET_LEVELS,
        applicant_kind=UnitKind.HAMLET,
        valid_from=None,
        valid_to=_BEFORE,
        authority_kinds=(UnitKind.COMMUNE, UnitKind.TOWN),
        decider_kinds=DISTRICT_TIER,
        decider_title="Chủ tịch UBND huyện",
        records_national_decision=False,
        basis=Sourced(
            "QĐ 2392/2017/QĐ-UBND Thanh Hóa (TTHC 1.007200): UBND xã thẩm tra, Chủ tịch UBND huyện công nhận",
            "shared/reference/procedure.md §6.2",
            Confidence.MEDIUM,
        ),
    ),
    Route(
        code="hamlet-to-commune",
        levels=HAMLET_LEVELS,
        applicant_kind=UnitKind.HAMLET,
        valid_from=REFORM_DATE,
        valid_to=None,
        authority_kinds=(UnitKind.COMMUNE,),
        decider_kinds=(UnitKind.COMMUNE,),
        decider_title="Chủ tịch UBND xã",
        records_national_decision=False,
        basis=Sourced(
            "Sau 01/07/2025 tỉnh giao Chủ tịch UBND xã công nhận thôn (theo quy định của tỉnh)",
            "shared/reference/procedure.md §6.2",
            Confidence.LOW,
        ),
    ),
    Route(
        code="district-to-prime-minister",
        levels=DISTRICT_LEVELS,
        applicant_kind=UnitKind.DISTRICT,
        valid_from=None,
        valid_to=_BEFORE,
        authority_kinds=(UnitKind.PROVINCE,),
        decider_kinds=(UnitKind.PROVINCE,),
        decider_title="Thủ tướng Chính phủ (UBND tỉnh ghi nhận quyết định)",
        records_national_decision=True,
        basis=Sourced(
            "QĐ 18/2022/QĐ-TTg, QĐ 320/QĐ-TTg: UBND tỉnh thẩm định, Thủ tướng công nhận",
            "shared/reference/procedure.md §3, §6.3",
            Confidence.HIGH,
        ),
    ),
    Route(
        code="town-via-district",
        levels=TOWN_LEVELS,
        applicant_kind=UnitKind.TOWN,
        valid_from=None,
        valid_to=_BEFORE,
        authority_kinds=(UnitKind.DISTRICT, UnitKind.PROVINCE),
        decider_kinds=(UnitKind.PROVINCE,),
        decider_title="Chủ tịch UBND tỉnh",
        records_national_decision=False,
        basis=Sourced(
            "QĐ 04/2022/QĐ-TTg ngày 18/02/2022 (tiêu chí, trình tự, thủ tục xét công nhận đạt chuẩn đô thị văn minh; "
            "seed 000 mục III.3): toàn văn chưa thu thập; giả định như xét xã: UBND huyện thẩm tra, Chủ tịch UBND "
            "tỉnh công nhận",
            "shared/seeds/000; shared/reference/procedure.md §11.4 (chưa tìm thấy)",
            Confidence.LOW,
        ),
    ),
    Route(
        code="district-town-to-prime-minister",
        levels=DISTRICT_TOWN_LEVELS,
        applicant_kind=UnitKind.DISTRICT_TOWN,
        valid_from=None,
        valid_to=_BEFORE,
        authority_kinds=(UnitKind.PROVINCE,),
        decider_kinds=(UnitKind.PROVINCE,),
        decider_title="Thủ tướng Chính phủ (UBND tỉnh ghi nhận quyết định)",
        records_national_decision=True,
        basis=Sourced(
            "QĐ 18/2022/QĐ-TTg, QĐ 320/QĐ-TTg: thị xã, thành phố thuộc tỉnh đi theo trình tự xét huyện: UBND tỉnh "
            "thẩm định, Thủ tướng công nhận (QĐ 668-673/QĐ-TTg ngày 02/06/2022: TX An Khê, Ayun Pa, TP Hà Tiên)",
            "shared/reference/procedure.md §3, §6.3",
            Confidence.HIGH,
        ),
    ),
)

#: levels whose applicants ceased to exist with the district tier on 1/7/2025 (NĐ 131/2025/NĐ-CP, two-tier
#: local government: xã, phường, đặc khu), and why they cannot register after it
ENDED_AT_REFORM: dict[RecognitionLevel, str] = {
    RecognitionLevel.TOWN_CIVILIZED: "không còn thị trấn từ ngày 01/07/2025, không thể xét thị trấn đô thị văn minh",
    RecognitionLevel.DISTRICT_TOWN_COMPLETED: (
        "không còn thị xã, thành phố thuộc tỉnh từ ngày 01/07/2025, không thể xét hoàn thành nhiệm vụ xây dựng NTM"
    ),
}


def route_for(level: RecognitionLevel, day: dt.date) -> Route:
    """The route in force on `day` (Vietnam date) for `level`; a revocation case takes the route of the day it opens."""
    for route in ROUTES:
        if route.covers(level, day):
            return route
    if level in ENDED_AT_REFORM and day >= REFORM_DATE:
        raise GuardFailed(Action.REGISTER, [ENDED_AT_REFORM[level]])
    if level in DISTRICT_LEVELS and day >= REFORM_DATE:
        raise GuardFailed(
            Action.REGISTER, ["không còn cấp huyện từ ngày 01/07/2025, không thể xét công nhận cấp huyện"]
        )
    raise GuardFailed(Action.REGISTER, [f"chưa có quy trình cho cấp «{level.value}» vào ngày {day:%d/%m/%Y}"])
