"""What the planning subpackage stores for periodic reports and watched indicators.

- `PeriodicReport`: the report a unit (or a department) writes for one period — narrative sections
  and, through `WatchedValue`, the figures of the watched indicators — drafted, then submitted once;
  submitting records the `ReportSubmission` that meets the deadline obligation.
- `WatchedIndicator`: one line of a province's watch list for a year (seed 000: "kiểm soát hằng tháng"),
  with its threshold and where it comes from.
- `WatchedValue`: the value of a watched indicator in one unit for one month.
- `WatchEpisode`: one stretch of months during which a unit's value stayed below the threshold; its
  `key` names the alert so the people concerned are told once per episode.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models.people import Department, User
from dossiers.models.reports import ReportSubmission
from dossiers.models.units import Unit
from workflow.deadlines import DEADLINE_RULES, ObligorKind
from workflow.vocabulary import Confidence, Measure


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


#: the periodic report rules (a unit's or a department's), the only ones a written report may be for
REPORT_RULE_CODES = tuple(r.code for r in DEADLINE_RULES if r.obligor in (ObligorKind.UNIT, ObligorKind.DEPARTMENT))
#: a watched indicator is compared with a number
WATCH_MEASURES = (Measure.PERCENTAGE, Measure.NUMBER)


class PeriodicReport(Base):
    """A unit's (or a department's) report of one period: a draft until submitted, then fixed."""

    __tablename__ = "periodic_reports"
    __table_args__ = (
        UniqueConstraint("obligation_code", "period", "unit_id", name="periodic_report_unit_period"),
        UniqueConstraint("obligation_code", "period", "department_id", name="periodic_report_department_period"),
        CheckConstraint("(unit_id IS NULL) <> (department_id IS NULL)", name="one_obligor"),
        # a submitted report has its submission row, its time and its verdict; a draft has none of them
        CheckConstraint(
            "(state = 'submitted' AND submitted_at IS NOT NULL AND submission_id IS NOT NULL AND late IS NOT NULL)"
            " OR (state = 'draft' AND submitted_at IS NULL AND submission_id IS NULL AND late IS NULL)",
            name="submitted_fields",
        ),
        allowed_values_check("state", ReportState, name="state"),
        allowed_values_check("obligation_code", REPORT_RULE_CODES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_code: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    #: section key (`dossiers.planning.reports.SECTIONS`) → text
    sections: Mapped[dict[str, Any]] = mapped_column()
    #: when it falls due (UTC), fixed when the draft is opened from the rule in force
    due_at: Mapped[dt.datetime] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column()
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("report_submissions.id"), unique=True)
    late: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[Unit | None] = relationship()
    department: Mapped[Department | None] = relationship()
    submission: Mapped[ReportSubmission | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy protocol

    def __repr__(self) -> str:
        return f"<PeriodicReport {self.obligation_code} {self.period} {self.state}>"


class WatchedIndicator(Base):
    """One indicator a province watches month by month in a year, with its threshold and its source."""

    __tablename__ = "watched_indicators"
    __table_args__ = (
        UniqueConstraint("authority_unit_id", "year", "code"),
        allowed_values_check("measure", WATCH_MEASURES, name="measure"),
        allowed_values_check("confidence", Confidence, name="confidence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the province (or district) whose list it is; it applies to the communes below it
    authority_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    #: a stable short name, e.g. "bhyt"
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(20))
    #: as the plan writes it, read by `workflow.thresholds.parse_threshold` (e.g. "≥ 75%")
    threshold: Mapped[str] = mapped_column(String(40))
    #: the criteria set and indicator whose owning department is alerted (None: nobody owns it there)
    criteria_set_code: Mapped[str | None] = mapped_column(String(60))
    indicator_code: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(300))
    confidence: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    authority_unit: Mapped[Unit] = relationship()


class WatchedValue(Base):
    """The value of a watched indicator in one unit for one month (`month` is the month's first day)."""

    __tablename__ = "watched_values"
    __table_args__ = (
        UniqueConstraint("watched_indicator_id", "unit_id", "month"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    watched_indicator_id: Mapped[int] = mapped_column(
        ForeignKey("watched_indicators.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)
    #: as typed ("62,5"), and read as a number
    text: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    #: `workflow.measures.measured_met` against the indicator's threshold
    met: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[dt.datetime] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the report whose form carried it, if any
    report_id: Mapped[int | None] = mapped_column(ForeignKey("periodic_reports.id", ondelete="SET NULL"))

    indicator: Mapped[WatchedIndicator] = relationship()
    unit: Mapped[Unit] = relationship()


class WatchEpisode(Base):
    """Months during which a unit's value of a watched indicator stayed below its threshold.

    Opened by the first month below (after a month that met it, or none), closed by the next month that
    meets it. `key` ("watch:<unit>:<indicator>:<YYYY-MM>") names the alert: the outbox keys each person's
    notice with it, so each episode alerts each person once, however often the scan runs.
    """

    __tablename__ = "watch_episodes"
    __table_args__ = (
        CheckConstraint("recovered_month IS NULL OR recovered_month > first_month", name="recovers_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    watched_indicator_id: Mapped[int] = mapped_column(
        ForeignKey("watched_indicators.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    first_month: Mapped[dt.date] = mapped_column(Date)
    #: the first month that met the threshold again (None: still below)
    recovered_month: Mapped[dt.date | None] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column()
    #: when the alert was queued (None: the scan has not run since)
    alerted_at: Mapped[dt.datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)

    indicator: Mapped[WatchedIndicator] = relationship()
    unit: Mapped[Unit] = relationship()
