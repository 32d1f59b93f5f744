"""A reorganisation of the territory as a recorded event: what was planned, from which day, what it changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base
from dossiers.models.people import User
from dossiers.models.units import Unit


class Reorganisation(Base):
    """Units merged or split, a district dissolved, departments moved or dissolved, dossiers in flight
    handed to the successors: applied once, with every change listed as the dry run showed it."""

    __tablename__ = "reorganisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable name of the plan, e.g. "cao-bang-2025-07-01": applying it twice is refused
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    #: the legal basis, with how sure we are of it
    basis: Mapped[str] = mapped_column(Text)
    province_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: the first day of the new map; the old units and departments last acted the day before
    effective_on: Mapped[dt.date] = mapped_column(Date)
    #: the plan as given (YAML/form), kept to show what was asked
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: every change made, in the words of the dry run (Vietnamese lines, grouped by topic)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied_at: Mapped[dt.datetime] = mapped_column()
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    province: Mapped[Unit] = relationship()
    applied_by: Mapped[User | None] = relationship()
