"""Periodic reports and plans a unit or a department submitted: each one meets a deadline obligation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.people import Department, User
from dossiers.models.units import Unit
from workflow.deadlines import DEADLINE_RULES


class ReportSubmission(Base):
    """A report (or plan) of one period, submitted by a unit or by a department, never both.

    `obligation_code` is a deadline rule code of `workflow.deadlines` (e.g. "report-quarterly") and
    `period` the period it covers ("2025-Q3", "2025-03", "2025-H1", "2025").
    """

    __tablename__ = "report_submissions"
    __table_args__ = (
        # one of the two obligor columns is NULL in each row, so each constraint binds one kind of obligor
        UniqueConstraint("obligation_code", "period", "unit_id", name="unit_period"),
        UniqueConstraint("obligation_code", "period", "department_id", name="department_period"),
        CheckConstraint("(unit_id IS NULL) <> (department_id IS NULL)", name="one_obligor"),
        allowed_values_check("obligation_code", (rule.code for rule in DEADLINE_RULES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_code: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    submitted_at: Mapped[dt.datetime] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the report's number and date as issued, e.g. "Số 45/BC-UBND ngày 15/9/2025"
    document_ref: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit | None] = relationship()
    department: Mapped[Department | None] = relationship()
    submitted_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        obligor = f"unit {self.unit_id}" if self.unit_id is not None else f"department {self.department_id}"
        return f"<ReportSubmission {self.obligation_code} {self.period} {obligor}>"
