"""Versioned criteria sets (bộ tiêu chí): criteria (tiêu chí) made of indicators (chỉ tiêu)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from workflow.thresholds import threshold_of
from workflow.vocabulary import Confidence, Measure, RecognitionLevel


class CriteriaSet(Base):
    """One version of a criteria set. Dossiers point at the exact version they were opened with."""

    __tablename__ = "criteria_sets"
    __table_args__ = (UniqueConstraint("code", "version"), allowed_values_check("confidence", Confidence))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    #: recognition levels this set is the yardstick for (a JSON list of RecognitionLevel values)
    levels: Mapped[list[Any]] = mapped_column()
    legal_source: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    #: which province issued or amended it; None for a national set
    issued_by: Mapped[str | None] = mapped_column(String(200))
    #: code of the set a unit must already hold (nâng cao requires NTM)
    prerequisite_code: Mapped[str | None] = mapped_column(String(60))
    #: regions / commune groups whose thresholds the set distinguishes
    regions: Mapped[list[Any]] = mapped_column(default=list)
    commune_groups: Mapped[list[Any]] = mapped_column(default=list)
    #: extra conditions beyond the criteria (kiểu mẫu: income, smart hamlet, outstanding field)
    conditions: Mapped[list[Any]] = mapped_column(default=list)
    outstanding_fields: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[Confidence] = mapped_column(String(20))
    verification_note: Mapped[str | None] = mapped_column(Text)
    #: the file it was loaded from and its SHA-256, so a reload of the same content is a no-op
    source_file: Mapped[str] = mapped_column(String(300))
    content_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column()

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="criteria_set", cascade="all, delete-orphan", order_by="Criterion.number"
    )

    def applies_to(self, level: RecognitionLevel) -> bool:
        return level.value in self.levels

    def indicators(self) -> list[Indicator]:
        return [indicator for criterion in self.criteria for indicator in criterion.indicators]

    @property
    def label(self) -> str:
        return f"{self.code} v{self.version}"


class Criterion(Base):
    """A criterion (tiêu chí), numbered within its set."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("criteria_set_id", "number"), allowed_values_check("confidence", Confidence))

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    group_name: Mapped[str | None] = mapped_column(String(200))
    #: failing it counts towards revocation (QĐ 18/2022 names the key criteria)
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[Confidence] = mapped_column(String(20))
    #: where the criterion (its name, its place in the set) comes from
    source: Mapped[str | None] = mapped_column(String(300))
    #: what is uncertain about it (e.g. a name the sources disagree on)
    note: Mapped[str | None] = mapped_column(Text)

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="criteria")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="criterion", cascade="all, delete-orphan", order_by="Indicator.position"
    )


class Indicator(Base):
    """An indicator (chỉ tiêu) such as "17.10"; a criterion without sub-indicators has one indicator coded "N"."""

    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("criterion_id", "code"),
        allowed_values_check("measure", Measure),
        allowed_values_check("confidence", Confidence),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    measure: Mapped[Measure] = mapped_column(String(20))
    unit_of_measure: Mapped[str | None] = mapped_column(String(40))
    #: {"default": ..., "by_region": {"TDMNPB": ...}, "by_group": {"nhom-3": ...}, "by_year": {"2024": ...},
    #: "source": ..., "confidence": ...}; values are display text ("≥ 65%", "Đạt")
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: a text measure's allowed answers (empty: any text)
    answers: Mapped[list[Any] | None] = mapped_column()
    #: the evidence a commune must attach
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str | None] = mapped_column(String(300))
    confidence: Mapped[Confidence] = mapped_column(String(20))
    #: True when the wording is a reconstruction, not the official text
    reconstructed: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)

    criterion: Mapped[Criterion] = relationship(back_populates="indicators")

    def threshold_for(
        self, region: str | None = None, commune_group: str | None = None, year: int | None = None
    ) -> Any:
        """The threshold a unit of this region / commune group must reach in `year`."""
        return threshold_of(self.thresholds or {}, region, commune_group, year)

    @property
    def threshold_source(self) -> str | None:
        """Where the thresholds come from, when the set names it apart from the indicator's source."""
        source = (self.thresholds or {}).get("source")
        return str(source) if source else None

    @property
    def threshold_confidence(self) -> str | None:
        confidence = (self.thresholds or {}).get("confidence")
        return str(confidence) if confidence else None
