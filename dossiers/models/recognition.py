"""Facts of the procedure steps (consultation, conditions, kiểu mẫu declarations), recognitions
granted, and the yearly re-assessments that may open a revocation case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.criteria import CriteriaSet
from dossiers.models.dossier import Dossier
from dossiers.models.people import Department, User
from dossiers.models.units import Unit
from workflow.rules import CONDITION_LABELS
from workflow.vocabulary import RecognitionLevel


class Consultation(Base):
    """What the consultation step established: the public posting, the Front's survey, the vote,
    and (hamlets) the commune's radio announcement. One row per dossier; who recorded what is in the audit log."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    posting_start: Mapped[dt.date | None] = mapped_column(Date)
    posting_end: Mapped[dt.date | None] = mapped_column(Date)
    announcements: Mapped[int | None] = mapped_column(Integer)
    households_total: Mapped[int | None] = mapped_column(Integer)
    households_reached: Mapped[int | None] = mapped_column(Integer)
    households_satisfied: Mapped[int | None] = mapped_column(Integer)
    votes_total: Mapped[int | None] = mapped_column(Integer)
    votes_in_favour: Mapped[int | None] = mapped_column(Integer)
    announcement_start: Mapped[dt.date | None] = mapped_column(Date)
    announcement_end: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column()

    dossier: Mapped[Dossier] = relationship()


class ConditionConfirmation(Base):
    """A QĐ 18/2022 condition confirmed by the department in charge (finance: construction debt; police: security)."""

    __tablename__ = "condition_confirmations"
    __table_args__ = (
        UniqueConstraint("dossier_id", "condition"),
        allowed_values_check("condition", CONDITION_LABELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    condition: Mapped[str] = mapped_column(String(40))
    holds: Mapped[bool] = mapped_column(Boolean)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship()
    department: Mapped[Department] = relationship()
    confirmed_by: Mapped[User] = relationship(foreign_keys=[confirmed_by_id])


class ModelConditions(Base):
    """What a commune applying for kiểu mẫu declares beyond the criteria (QĐ 319/QĐ-TTg)."""

    __tablename__ = "model_conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    #: đồng per person per year
    income_per_capita: Mapped[int] = mapped_column(BigInteger)
    advanced_income_level: Mapped[int] = mapped_column(BigInteger)
    smart_hamlet_models: Mapped[int] = mapped_column(Integer)
    outstanding_field_met: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column()

    dossier: Mapped[Dossier] = relationship()


class SmartHamletModel(Base):
    """Kiểu mẫu (QĐ 319, KM3): one smart-hamlet model the commune names as evidence — which of its hamlets,
    which product it sells online and where — rather than a bare count."""

    __tablename__ = "smart_hamlet_models"
    __table_args__ = (UniqueConstraint("dossier_id", "hamlet_unit_id", "product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    hamlet_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: the product (OCOP or other) the hamlet sells online
    product: Mapped[str] = mapped_column(String(200))
    #: where it is sold online: a marketplace, a website, a page
    sold_on: Mapped[str] = mapped_column(String(300))
    recorded_at: Mapped[dt.datetime] = mapped_column()

    dossier: Mapped[Dossier] = relationship()
    hamlet: Mapped[Unit] = relationship()


class Recognition(Base):
    """A recognition a unit holds: granted by a dossier here, or recorded from before the system."""

    __tablename__ = "recognitions"
    __table_args__ = (allowed_values_check("level", RecognitionLevel),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    level: Mapped[RecognitionLevel] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    #: the dossier that led to it; None for a recognition recorded from earlier paperwork
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    decision_number: Mapped[str | None] = mapped_column(String(80))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column()
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    #: the revocation case currently or last opened against it
    revocation_dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    #: carried to a merged unit by a reorganisation (Official Letter 267/BNN-VPDP), with the reasoning
    reorganisation_id: Mapped[int | None] = mapped_column(ForeignKey("reorganisations.id"))
    note: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()
    dossier: Mapped[Dossier | None] = relationship(foreign_keys=[dossier_id])
    revocation_dossier: Mapped[Dossier | None] = relationship(foreign_keys=[revocation_dossier_id])

    @property
    def active(self) -> bool:
        return self.revoked_on is None


class Reassessment(Base):
    """A recognised unit's yearly re-assessment: which criteria failed, and the revocation case it opened."""

    __tablename__ = "reassessments"
    __table_args__ = (UniqueConstraint("recognition_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recognition_id: Mapped[int] = mapped_column(ForeignKey("recognitions.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id"))
    total_criteria: Mapped[int] = mapped_column(Integer)
    failed_criteria: Mapped[list[Any]] = mapped_column(default=list)
    key_failed: Mapped[list[Any]] = mapped_column(default=list)
    #: why the revocation rule fires; None when it does not
    finding: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column()
    revocation_dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))

    recognition: Mapped[Recognition] = relationship()
    criteria_set: Mapped[CriteriaSet] = relationship()
    revocation_dossier: Mapped[Dossier | None] = relationship()
