"""A district's or province's NTM plan for a year (kế hoạch), its targets (chỉ tiêu giao) and resources."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.units import Unit
from workflow.vocabulary import Confidence, RecognitionLevel

#: million VND with the thousandths the plans write ("80.178,119 triệu đồng")
MONEY = Numeric(16, 3)


class TargetKind(StrEnum):
    """What one row of a plan's target table (biểu giao chỉ tiêu) asks of one unit."""

    #: the commune reaches a recognition level in the year (đạt chuẩn NTM, nâng cao, kiểu mẫu)
    LEVEL = "level"
    #: the commune reaches one criterion (tiêu chí số N)
    CRITERION = "criterion"
    #: the commune adds `quantity` criteria met over the year ("tăng từ 1 tiêu chí trở lên/năm")
    CRITERIA_ADDED = "criteria-added"
    #: `quantity` hamlets of the commune reach NTM (xóm đạt chuẩn nông thôn mới)
    HAMLETS_NTM = "hamlets-ntm"
    #: `quantity` hamlets of the commune reach kiểu mẫu (xóm nông thôn mới kiểu mẫu)
    HAMLETS_MODEL = "hamlets-model"


class Plan(Base):
    """One plan of one authority (a district, or a province) for one year, as issued ("Số 138/KH-UBND ngày
    19/02/2024"), with its aggregate targets and the resources it plans. A reload replaces its targets."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("unit_id", "year"), allowed_values_check("confidence", Confidence))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    #: the document number ("138/KH-UBND") and the day it was signed; None when the source does not show them
    number: Mapped[str | None] = mapped_column(String(80))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    #: aggregate targets: criteria met per commune on average, and no commune under `minimum_criteria`
    average_criteria: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    minimum_criteria: Mapped[int | None] = mapped_column(Integer)
    #: resources planned, in million VND (None where the plan does not say)
    resources_total: Mapped[Decimal | None] = mapped_column(MONEY)
    central_budget: Mapped[Decimal | None] = mapped_column(MONEY)
    #: of the central budget: allocated directly to the NTM programme
    central_direct: Mapped[Decimal | None] = mapped_column(MONEY)
    #: of the central budget: integrated from the other national target programmes (vốn lồng ghép)
    integrated_funds: Mapped[Decimal | None] = mapped_column(MONEY)
    local_budget: Mapped[Decimal | None] = mapped_column(MONEY)
    #: where the plan's text comes from, and how sure we are of it
    source: Mapped[str] = mapped_column(Text)
    confidence: Mapped[Confidence] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    #: the file it was loaded or imported from
    loaded_from: Mapped[str | None] = mapped_column(String(300))
    loaded_at: Mapped[dt.datetime] = mapped_column()

    unit: Mapped[Unit] = relationship()
    targets: Mapped[list[PlanTarget]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanTarget.position"
    )

    @property
    def reference(self) -> str:
        """ "Số 138/KH-UBND ngày 19/02/2024", or what is known of it."""
        parts = []
        if self.number:
            parts.append(f"Số {self.number}")
        if self.issued_on:
            parts.append(f"ngày {self.issued_on:%d/%m/%Y}")
        return " ".join(parts) if parts else "(chưa rõ số, ngày ban hành)"


class PlanTarget(Base):
    """One target of a plan for one unit: a level, a criterion, criteria to add, or hamlets to bring up."""

    __tablename__ = "plan_targets"
    __table_args__ = (
        allowed_values_check("kind", TargetKind),
        allowed_values_check("level", RecognitionLevel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: the order of the plan's table
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[TargetKind] = mapped_column(String(30))
    #: the unit the target is given to (a commune, as the plan names it in its year)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: LEVEL: the level to reach
    level: Mapped[RecognitionLevel | None] = mapped_column(String(30))
    #: CRITERION: the criterion's number in the commune criteria set the plan works with
    criterion_number: Mapped[int | None] = mapped_column(Integer)
    #: CRITERIA_ADDED / HAMLETS_*: how many
    quantity: Mapped[int | None] = mapped_column(Integer)
    #: CRITERIA_ADDED: criteria met at the start of the year, when the plan or an office says so
    baseline: Mapped[int | None] = mapped_column(Integer)
    #: the part of the plan that sets it ("mục II.2.a")
    source: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="targets")
    unit: Mapped[Unit] = relationship()
