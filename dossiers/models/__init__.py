"""Every model, imported once so that `Base.metadata` is complete."""

from dossiers.models.appraisal import AppraisalItem, AppraisalTask, SupplementItem, SupplementRequest
from dossiers.models.criteria import CriteriaSet, Criterion, Indicator
from dossiers.models.deadlines import CalendarDay, DeadlineOverride
from dossiers.models.dossier import Assessment, AuditEvent, AuditLogRewriteError, Dossier, Evidence
from dossiers.models.obligations import ObligationRecord, ObligationStatus
from dossiers.models.ownership import Ownership, OwnershipRemark
from dossiers.models.people import Delegation, Department, RoleAssignment, User
from dossiers.models.planning_reports import (
    PeriodicReport,
    ReportState,
    WatchedIndicator,
    WatchedValue,
    WatchEpisode,
)
from dossiers.models.plans import Plan, PlanTarget, TargetKind
from dossiers.models.recognition import (
    ConditionConfirmation,
    Consultation,
    ModelConditions,
    Reassessment,
    Recognition,
    SmartHamletModel,
)
from dossiers.models.reorganisation import Reorganisation
from dossiers.models.reports import ReportSubmission
from dossiers.models.tokens import ApiCall, ApiToken
from dossiers.models.units import Unit, find_unit, unit_lineage

__all__ = [
    "ApiCall",
    "ApiToken",
    "AppraisalItem",
    "AppraisalTask",
    "Assessment",
    "AuditEvent",
    "AuditLogRewriteError",
    "CalendarDay",
    "ConditionConfirmation",
    "Consultation",
    "CriteriaSet",
    "Criterion",
    "DeadlineOverride",
    "Delegation",
    "Department",
    "Dossier",
    "Evidence",
    "Indicator",
    "ModelConditions",
    "ObligationRecord",
    "ObligationStatus",
    "Ownership",
    "OwnershipRemark",
    "PeriodicReport",
    "Plan",
    "PlanTarget",
    "Reassessment",
    "Recognition",
    "Reorganisation",
    "ReportState",
    "ReportSubmission",
    "RoleAssignment",
    "SmartHamletModel",
    "SupplementItem",
    "SupplementRequest",
    "TargetKind",
    "Unit",
    "User",
    "WatchEpisode",
    "WatchedIndicator",
    "WatchedValue",
    "find_unit",
    "unit_lineage",
]
