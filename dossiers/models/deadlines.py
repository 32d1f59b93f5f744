"""The deadline data administrators and coordinators keep: the yearly calendar swaps and each
authority's own dates. `dossiers.planning.rules` loads them for `workflow.deadlines` and `workflow.calendar`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.units import Unit
from workflow.deadlines import DEADLINE_RULES

#: the deadline rules of `workflow.deadlines`: what an override (or a stored obligation) may be about
RULE_CODES = tuple(rule.code for rule in DEADLINE_RULES)


class CalendarDay(Base):
    """A day the government (or the province) made a day off or a working day, against the usual calendar."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    #: True: a working day (a make-up Saturday); False: a day off (a swapped bridge day)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column()


class DeadlineOverride(Base):
    """A province's or district's own date, period or reminder offsets for one deadline rule in one year."""

    __tablename__ = "deadline_overrides"
    __table_args__ = (
        UniqueConstraint("authority_unit_id", "year", "rule_code"),
        allowed_values_check("rule_code", RULE_CODES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the province or district whose plan sets it; it applies to the units below it
    authority_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    rule_code: Mapped[str] = mapped_column(String(60))
    #: `workflow.deadlines.Schedule.to_dict()`; None keeps the rule's
    schedule: Mapped[dict[str, Any] | None] = mapped_column()
    enabled: Mapped[bool | None] = mapped_column(Boolean)
    working_days: Mapped[int | None] = mapped_column(Integer)
    reminder_offsets: Mapped[list[Any] | None] = mapped_column()
    escalation_offsets: Mapped[list[Any] | None] = mapped_column()
    #: the plan that says so, e.g. "KH 13/KH-UBND ngày 02/02/2024 của UBND huyện Yên Thế"
    source: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column()

    authority_unit: Mapped[Unit] = relationship()
