"""Recording a submitted periodic report or plan: the row that meets a unit's or a department's obligation."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.access import person_of
from dossiers.models import Department, ReportSubmission, Unit, User
from dossiers.planning import obligations
from workflow import permissions
from workflow.deadlines import ObligorKind, RuleError, default_rule
from workflow.errors import NotPermitted, WorkflowError

_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]|H1))?$")
_ACTION = "ghi nhận báo cáo đã nộp"


class ReportAlreadySubmittedError(WorkflowError):
    """The report of this period was already recorded for this unit or department."""

    def __init__(self, existing: ReportSubmission) -> None:
        self.existing = existing
        super().__init__(
            f"Báo cáo {existing.obligation_code} kỳ {existing.period} đã được ghi nhận lúc "
            f"{existing.submitted_at:%d/%m/%Y %H:%M} (UTC)."
        )


def record_report_submission(
    session: Session,
    actor: User,
    now: dt.datetime,
    *,
    code: str,
    period: str,
    unit: Unit | None = None,
    department: Department | None = None,
    document_ref: str | None = None,
    note: str | None = None,
) -> ReportSubmission:
    """Record that `unit` (or `department`) submitted its report `code` for `period`; flushes.

    The unit's officers (or its chairman) record their unit's reports, a department's officers
    their department's, admins any. Recording the same period twice is refused. The period's stored
    obligation is marked met by this report.
    """
    rule = default_rule(code)
    if rule.obligor not in (ObligorKind.UNIT, ObligorKind.DEPARTMENT):
        raise RuleError(f"'{code}' không phải báo cáo định kỳ; nghĩa vụ này được đáp ứng theo tiến trình hồ sơ")
    if (unit is None) == (department is None):
        raise RuleError("cần đúng một đơn vị hoặc một phòng, ban nộp báo cáo")
    if rule.obligor == ObligorKind.UNIT and unit is None:
        raise RuleError(f"báo cáo '{code}' do đơn vị hành chính nộp, không phải phòng, ban")
    if rule.obligor == ObligorKind.DEPARTMENT and department is None:
        raise RuleError(f"báo cáo '{code}' do phòng, ban nộp, không phải đơn vị hành chính")
    if not _PERIOD.match(period):
        raise RuleError(f"kỳ báo cáo '{period}' không hợp lệ (ví dụ: 2025, 2025-H1, 2025-Q3, 2025-03)")
    if not permissions.may_report(
        person_of(actor), unit_id=unit.id if unit else None, department_id=department.id if department else None
    ):
        owner = unit.name if unit is not None else department.name if department is not None else ""
        raise NotPermitted(_ACTION, f"{actor.full_name} không phụ trách báo cáo của {owner}")

    query = select(ReportSubmission).where(ReportSubmission.obligation_code == code, ReportSubmission.period == period)
    if unit is not None:
        query = query.where(ReportSubmission.unit_id == unit.id)
    elif department is not None:
        query = query.where(ReportSubmission.department_id == department.id)
    existing = session.scalars(query).first()
    if existing is not None:
        raise ReportAlreadySubmittedError(existing)

    submission = ReportSubmission(
        obligation_code=code,
        period=period,
        unit=unit,
        department=department,
        submitted_at=now,
        submitted_by=actor,
        document_ref=document_ref,
        note=note,
    )
    session.add(submission)
    session.flush()
    obligations.report_submitted(session, submission)
    return submission
