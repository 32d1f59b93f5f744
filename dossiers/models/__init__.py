"""Every model, imported once so that `Base.metadata` is complete."""

from dossiers.models.criteria import CriteriaSet, Criterion, Indicator
from dossiers.models.dossier import Assessment, AuditEvent, AuditLogRewriteError, Dossier, Evidence
from dossiers.models.ownership import Ownership, OwnershipRemark
from dossiers.models.people import Delegation, Department, RoleAssignment, User
from dossiers.models.units import Unit, find_unit, unit_lineage

__all__ = [
    "Assessment",
    "AuditEvent",
    "AuditLogRewriteError",
    "CriteriaSet",
    "Criterion",
    "Delegation",
    "Department",
    "Dossier",
    "Evidence",
    "Indicator",
    "Ownership",
    "OwnershipRemark",
    "RoleAssignment",
    "Unit",
    "User",
    "find_unit",
    "unit_lineage",
]
