"""Where a periodic report of one period stands at a given instant: not yet due, on time, late or missing.

One rule, used by the commune's list, the coordinator's table and the consolidated report:

- the report is due at `Occurrence.due_at` (00:00 in Vietnam of the day the plan writes "trước ngày D");
- submitted before that instant: on time; at or after it: late (and shown as late for good);
- not submitted and that instant not reached: not yet due; reached: missing.

A due date that falls on a weekend or in Tết does **not** move: the plans write the date and
`workflow.deadlines` keeps last days where the plan writes them (its module docstring); only the
reminders move to the working days before. So a monthly report due "before 20/02/2026" (last day
19/02, in the Tết break of 2026) submitted on 23/02, the first working day after Tết, is late. A
province that wants otherwise writes its own date in an override. `working_days_late` tells the
coordinator how many working days that lateness really cost, Tết left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from workflow.calendar import WorkingCalendar, local_date
from workflow.deadlines import Occurrence


class ReportStatus(StrEnum):
    NOT_DUE = "not-due"
    ON_TIME = "on-time"
    LATE = "late"
    MISSING = "missing"


REPORT_STATUS_LABELS: dict[ReportStatus, str] = {
    ReportStatus.NOT_DUE: "Chưa đến hạn",
    ReportStatus.ON_TIME: "Đã nộp đúng hạn",
    ReportStatus.LATE: "Nộp muộn",
    ReportStatus.MISSING: "Chưa nộp (quá hạn)",
}


def classify_report(occurrence: Occurrence, submitted_at: dt.datetime | None, now: dt.datetime) -> ReportStatus:
    """The status at `now` of the report of `occurrence` submitted at `submitted_at` (None: not submitted).

    A submission recorded after `now` is not seen yet (a replay of the past sees the past).
    """
    if submitted_at is not None and submitted_at <= now:
        return ReportStatus.ON_TIME if submitted_at < occurrence.due_at else ReportStatus.LATE
    return ReportStatus.MISSING if now >= occurrence.due_at else ReportStatus.NOT_DUE


def working_days_late(occurrence: Occurrence, submitted_at: dt.datetime, calendar: WorkingCalendar) -> int:
    """Working days after the last day up to the day of submission (0 when on time)."""
    return calendar.working_days_between(occurrence.last_day, local_date(submitted_at))


@dataclass(frozen=True)
class StatusCount:
    """How many obligors of one period stand in each status (the coordinator's chart)."""

    not_due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.not_due + self.on_time + self.late + self.missing

    @classmethod
    def of(cls, statuses: list[ReportStatus]) -> StatusCount:
        return cls(
            not_due=statuses.count(ReportStatus.NOT_DUE),
            on_time=statuses.count(ReportStatus.ON_TIME),
            late=statuses.count(ReportStatus.LATE),
            missing=statuses.count(ReportStatus.MISSING),
        )


def reference_month(occurrence: Occurrence) -> tuple[int, int]:
    """(year, month) whose watched-indicator figures a report carries: the month of its last day.

    The plans' reports are written in the month they fall due, with the figures known then (the
    quarterly report "before the 20th of the quarter's last month" carries that month's figures).
    """
    return occurrence.last_day.year, occurrence.last_day.month
