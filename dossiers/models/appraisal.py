"""Parallel appraisal: one task per owning department, one item per indicator it owns, and the one
consolidated supplement request a return produces."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.criteria import Indicator
from dossiers.models.dossier import Dossier
from dossiers.models.people import Department, User
from workflow.vocabulary import ROLE_LABELS, Role

APPROVED = "approved"
RETURNED = "returned"


def task_label(department_name: str | None, fallback_role: str | None) -> str:
    """What a task is called: its department, or the fallback seat for indicators no department owns."""
    if department_name is not None:
        return department_name
    role = Role(fallback_role) if fallback_role else Role.COORDINATOR
    return f"{ROLE_LABELS[role]} (chỉ tiêu chưa phân công phòng)"


class AppraisalTask(Base):
    """What one department of the appraising authority must answer for one dossier.

    A task without a department is the fallback seat (the authority's coordinator, or a commune's
    appraisal team for hamlets) for indicators no department owns. `answered_at` is None while any
    item waits for a decision; a resubmission reopens the task (and `round` grows) only when one of
    its indicators was returned or changed.
    """

    __tablename__ = "appraisal_tasks"
    __table_args__ = (
        UniqueConstraint("dossier_id", "department_id"),
        CheckConstraint("(department_id IS NOT NULL) OR (fallback_role IS NOT NULL)", name="has_seat"),
        allowed_values_check("fallback_role", Role),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    #: for a task without a department: the role of the authority that answers it
    fallback_role: Mapped[Role | None] = mapped_column(String(30))
    round: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[dt.datetime] = mapped_column()
    answered_at: Mapped[dt.datetime | None] = mapped_column()

    dossier: Mapped[Dossier] = relationship()
    department: Mapped[Department | None] = relationship()
    items: Mapped[list[AppraisalItem]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="AppraisalItem.id"
    )

    @property
    def label(self) -> str:
        return task_label(self.department.name if self.department is not None else None, self.fallback_role)

    def pending(self) -> list[AppraisalItem]:
        return [item for item in self.items if item.decision is None]


class AppraisalItem(Base):
    """One indicator in one department's task: pending (decision None), approved, or returned with a reason."""

    __tablename__ = "appraisal_items"
    __table_args__ = (
        UniqueConstraint("task_id", "indicator_id"),
        allowed_values_check("decision", (APPROVED, RETURNED), name="decision"),
        CheckConstraint("decision IS NULL OR decision <> 'returned' OR reason IS NOT NULL", name="return_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("appraisal_tasks.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    task: Mapped[AppraisalTask] = relationship(back_populates="items")
    indicator: Mapped[Indicator] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class SupplementRequest(Base):
    """The one written request for supplement (yêu cầu bổ sung) consolidating every return of a round."""

    __tablename__ = "supplement_requests"
    __table_args__ = (UniqueConstraint("dossier_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[dt.datetime] = mapped_column()
    #: set when the commune resubmits
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    #: the consolidated text, as sent to the commune
    text: Mapped[str] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship()
    items: Mapped[list[SupplementItem]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="SupplementItem.id"
    )


class SupplementItem(Base):
    """One returned indicator of a supplement request, with the department and its reason."""

    __tablename__ = "supplement_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("supplement_requests.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    reason: Mapped[str] = mapped_column(Text)

    request: Mapped[SupplementRequest] = relationship(back_populates="items")
    indicator: Mapped[Indicator] = relationship()
    department: Mapped[Department | None] = relationship()
