"""Which department owns (guides and appraises) which indicator: per district, or per province without one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.criteria import CriteriaSet, Indicator
from dossiers.models.people import Department
from dossiers.models.units import Unit
from workflow.vocabulary import Confidence


class Ownership(Base):
    """One (department, indicator) pair of an authority's table for a year. Two rows = shared ownership."""

    __tablename__ = "ownerships"
    __table_args__ = (
        UniqueConstraint("authority_unit_id", "year", "indicator_id", "department_id"),
        allowed_values_check("confidence", Confidence),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the district (or province where no district exists) whose departments appraise
    authority_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    #: where the assignment comes from, e.g. "Seed 004, mục VI.2"
    source: Mapped[str | None] = mapped_column(String(300))
    #: the source assigns the whole criterion ("tiêu chí số N"), not this indicator by name
    whole_criterion: Mapped[bool] = mapped_column(Boolean, default=False)
    #: kiểu mẫu: the row holds only for a dossier whose chosen outstanding field (lĩnh vực nổi trội) is one of
    #: these codes (seed 004 gives each field to a department); None: for every dossier
    outstanding_fields: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    #: how sure the table is of this assignment (a reconstructed table says low); None: as its source states it
    confidence: Mapped[Confidence | None] = mapped_column(String(20))

    authority_unit: Mapped[Unit] = relationship()
    indicator: Mapped[Indicator] = relationship()
    department: Mapped[Department] = relationship()


class OwnershipRemark(Base):
    """An assignment the source states without indicator codes, or a doubt about it, kept for `ownership check`."""

    __tablename__ = "ownership_remarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    text: Mapped[str] = mapped_column(Text)

    criteria_set: Mapped[CriteriaSet] = relationship()
    department: Mapped[Department | None] = relationship()
