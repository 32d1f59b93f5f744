"""The shared vocabulary of the domain: unit kinds, recognition levels, roles.

Values are stable strings stored in the database; Vietnamese labels are data for the UI.
"""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    """Kinds of administrative unit. A district is optional between province and commune."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    WARD = "ward"
    TOWN = "town"
    SPECIAL_ZONE = "special_zone"
    HAMLET = "hamlet"
    #: a district-tier town or city (thị xã, thành phố thuộc tỉnh) until 1/7/2025: it appraises its communes as a
    #: district does and may be recognised as having completed the NTM task (QĐ 320/QĐ-TTg). A tổ dân phố is no
    #: kind of its own: it is a HAMLET whose parent is a TOWN (thị trấn), with the same hamlet levels
    DISTRICT_TOWN = "district_town"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.PROVINCE: "Tỉnh",
    UnitKind.DISTRICT: "Huyện",
    UnitKind.COMMUNE: "Xã",
    UnitKind.WARD: "Phường",
    UnitKind.TOWN: "Thị trấn",
    UnitKind.SPECIAL_ZONE: "Đặc khu",
    UnitKind.HAMLET: "Thôn",
    UnitKind.DISTRICT_TOWN: "Thị xã, thành phố thuộc tỉnh",
}


class RecognitionLevel(StrEnum):
    """What a dossier applies for."""

    HAMLET_NTM = "hamlet-ntm"
    HAMLET_MODEL = "hamlet-model"
    COMMUNE_NTM = "commune-ntm"
    COMMUNE_ADVANCED = "commune-advanced"
    COMMUNE_MODEL = "commune-model"
    #: the 2026-2030 pilot (QĐ 51/2025 Phụ lục II): only where a province switches it on
    COMMUNE_MODERN = "commune-modern"
    DISTRICT_NTM = "district-ntm"
    DISTRICT_ADVANCED = "district-advanced"
    TOWN_CIVILIZED = "town-civilized"
    #: thị xã / thành phố thuộc tỉnh "hoàn thành nhiệm vụ xây dựng NTM" (QĐ 320/QĐ-TTg), the Prime Minister decides
    DISTRICT_TOWN_COMPLETED = "district-town-completed"


RECOGNITION_LEVEL_LABELS: dict[RecognitionLevel, str] = {
    RecognitionLevel.HAMLET_NTM: "Thôn đạt chuẩn nông thôn mới",
    RecognitionLevel.HAMLET_MODEL: "Thôn nông thôn mới kiểu mẫu",
    RecognitionLevel.COMMUNE_NTM: "Xã đạt chuẩn nông thôn mới",
    RecognitionLevel.COMMUNE_ADVANCED: "Xã đạt chuẩn nông thôn mới nâng cao",
    RecognitionLevel.COMMUNE_MODEL: "Xã nông thôn mới kiểu mẫu",
    RecognitionLevel.COMMUNE_MODERN: "Xã nông thôn mới hiện đại (thí điểm)",
    RecognitionLevel.DISTRICT_NTM: "Huyện đạt chuẩn nông thôn mới",
    RecognitionLevel.DISTRICT_ADVANCED: "Huyện đạt chuẩn nông thôn mới nâng cao",
    RecognitionLevel.TOWN_CIVILIZED: "Thị trấn đạt chuẩn đô thị văn minh",
    RecognitionLevel.DISTRICT_TOWN_COMPLETED: "Thị xã, thành phố thuộc tỉnh hoàn thành nhiệm vụ xây dựng nông thôn mới",
}


class Role(StrEnum):
    """What a user may do, always scoped to a unit or a department (admin is global)."""

    #: prepares and submits the dossier of their unit (commune or hamlet)
    UNIT_OFFICER = "unit_officer"
    #: appraises the indicators their department owns
    DEPARTMENT_OFFICER = "department_officer"
    #: watches progress and forwards dossiers for the unit they coordinate (district or province office)
    COORDINATOR = "coordinator"
    #: signs recognition decisions for the unit they lead (chairman of the People's Committee)
    APPROVER = "approver"
    #: records the Fatherland Front's satisfaction survey for a unit
    FRONT_OFFICER = "front_officer"
    #: member of a commune's appraisal team for the dossiers of its hamlets (tổ thẩm định thôn)
    APPRAISAL_TEAM = "appraisal_team"
    #: manages data and users everywhere
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.UNIT_OFFICER: "Cán bộ xã/thôn",
    Role.DEPARTMENT_OFFICER: "Cán bộ phòng, ban thẩm tra",
    Role.COORDINATOR: "Cán bộ điều phối",
    Role.APPROVER: "Lãnh đạo phê duyệt",
    Role.FRONT_OFFICER: "Cán bộ Mặt trận Tổ quốc",
    Role.APPRAISAL_TEAM: "Thành viên tổ thẩm định thôn (cấp xã)",
    Role.ADMIN: "Quản trị hệ thống",
}


class DossierKind(StrEnum):
    """Whether a dossier asks for a recognition or handles the revocation of one."""

    RECOGNITION = "recognition"
    REVOCATION = "revocation"


DOSSIER_KIND_LABELS: dict[DossierKind, str] = {
    DossierKind.RECOGNITION: "Xét, công nhận",
    DossierKind.REVOCATION: "Xét thu hồi quyết định công nhận",
}


class Measure(StrEnum):
    """How an indicator is measured."""

    YES_NO = "yes_no"
    PERCENTAGE = "percentage"
    NUMBER = "number"
    MONEY = "money"
    TEXT = "text"


class Confidence(StrEnum):
    """How sure we are of a fact taken from a reference (see shared/reference/README.md)."""

    VERIFIED = "verified"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
