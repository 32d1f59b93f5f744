"""Dossiers (hồ sơ), their assessments, evidence files and the append-only audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.criteria import CriteriaSet, Indicator
from dossiers.models.people import User
from dossiers.models.units import Unit
from workflow.procedures import ALL_PROCEDURES
from workflow.regimes import REGIMES
from workflow.routes import ALL_ROUTES
from workflow.vocabulary import DossierKind, RecognitionLevel

#: every state some procedure defines: what `Dossier.state` may hold
DOSSIER_STATES = tuple(
    dict.fromkeys(state.name for procedure in ALL_PROCEDURES for state in procedure.definition.states)
)


class Dossier(Base):
    """A unit applying for a recognition level in a year, against one criteria-set version.

    `state` is driven by the procedure machine of `workflow`; `version` makes two racing
    writers conflict instead of overwriting each other.
    """

    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("unit_id", "level", "year", "kind"),
        allowed_values_check("state", DOSSIER_STATES),
        allowed_values_check("level", RecognitionLevel),
        allowed_values_check("kind", DossierKind),
        allowed_values_check("route", (route.code for route in ALL_ROUTES)),
        allowed_values_check("regime", (regime.code for regime in REGIMES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    level: Mapped[RecognitionLevel] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer, index=True)
    #: "recognition" or "revocation"
    kind: Mapped[str] = mapped_column(String(20), default="recognition")
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_sets.id"), index=True)
    state: Mapped[str] = mapped_column(String(40), index=True)
    #: the unit whose departments appraise (district, or province where there is none)
    authority_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: the unit whose leader decides (province, district or commune chairman, by route); decided at registration
    decider_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: the route (workflow.routes) in force when the dossier was opened, e.g. "commune-via-district"
    route: Mapped[str | None] = mapped_column(String(40))
    #: the regime (workflow.regimes) in force when the dossier was opened, e.g. "2026-2030": its criteria sets,
    #: thresholds and deadline rules stay those of that regime
    regime: Mapped[str | None] = mapped_column(String(20))
    #: kiểu mẫu only: the outstanding field chosen (e.g. "giao-duc")
    outstanding_field: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative protocol

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    authority_unit: Mapped[Unit] = relationship(foreign_keys=[authority_unit_id])
    decider_unit: Mapped[Unit | None] = relationship(foreign_keys=[decider_unit_id])
    criteria_set: Mapped[CriteriaSet] = relationship()
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="Assessment.id"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="Evidence.id"
    )
    events: Mapped[list[AuditEvent]] = relationship(back_populates="dossier", order_by="AuditEvent.id")

    def __repr__(self) -> str:
        return f"<Dossier {self.id} {self.level} {self.year} {self.state}>"


class Assessment(Base):
    """The self-assessment of one indicator: the value reached, whether it meets the threshold, a note."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("dossier_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    value: Mapped[str | None] = mapped_column(Text)
    met: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assessed_at: Mapped[dt.datetime | None] = mapped_column()

    dossier: Mapped[Dossier] = relationship(back_populates="assessments")
    indicator: Mapped[Indicator] = relationship()
    assessed_by: Mapped[User | None] = relationship()


class Evidence(Base):
    """A file attached to a dossier, stored content-addressed by its SHA-256."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    mime_type: Mapped[str] = mapped_column(String(120))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column()

    dossier: Mapped[Dossier] = relationship(back_populates="evidence")
    indicator: Mapped[Indicator | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()


class AuditEvent(Base):
    """What happened to a dossier, who did it and for whom. Rows are only ever added."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the officer the actor substituted for, when acting under a delegation
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str | None] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    dossier: Mapped[Dossier] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class AuditLogRewriteError(Exception):
    """Raised when code tries to change or delete a recorded audit event."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogRewriteError(f"audit event {obj.id} cannot be changed or deleted")
