"""A simulated year of a commune's periodic reports: not yet due, on time, late and missing, month by month.

The year is 2026 (the 2026-2030 regime's rules, the same dates as seed 004): monthly reports before the
20th, quarterly ones "before the 20th of the quarter's last month", the half-year report before 10/6 and the
yearly one before 10/12. The February monthly report falls due in Tết: its last day, 19/02/2026, is the
Third Day of Lunar New Year; the date does not move (workflow.deadlines), so a report sent on 23/02, the
first working day after Tết, is late — by one working day.
"""

from __future__ import annotations

import datetime as dt

import pytest

from workflow.calendar import LOCAL_TZ, WorkingCalendar
from workflow.deadlines import Occurrence, resolve_rules
from workflow.regimes import regime_for_year
from workflow.reporting import ReportStatus, StatusCount, classify_report, reference_month, working_days_late

NOT_DUE, ON_TIME, LATE, MISSING = ReportStatus.NOT_DUE, ReportStatus.ON_TIME, ReportStatus.LATE, ReportStatus.MISSING


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


#: rule code → period → (the date the plan writes "trước ngày …", when the commune submitted or None, the verdict)
STORY: dict[str, dict[str, tuple[dt.date, dt.datetime | None, ReportStatus]]] = {
    "report-monthly": {
        "2026-01": (dt.date(2026, 1, 20), local(2026, 1, 16), ON_TIME),
        # in Tết: the last day 19/02 is a holiday; sent on the first working day after it, it is late
        "2026-02": (dt.date(2026, 2, 20), local(2026, 2, 23, 8), LATE),
        "2026-03": (dt.date(2026, 3, 20), local(2026, 3, 19, 23, 59), ON_TIME),  # the last minute of the last day
        "2026-04": (dt.date(2026, 4, 20), local(2026, 4, 20, 0, 0), LATE),  # the first minute it is late
        "2026-05": (dt.date(2026, 5, 20), None, MISSING),
        "2026-06": (dt.date(2026, 6, 20), local(2026, 6, 5), ON_TIME),
        "2026-07": (dt.date(2026, 7, 20), local(2026, 8, 3), LATE),
        "2026-08": (dt.date(2026, 8, 20), local(2026, 8, 19), ON_TIME),
        "2026-09": (dt.date(2026, 9, 20), None, MISSING),
        "2026-10": (dt.date(2026, 10, 20), local(2026, 10, 1), ON_TIME),
        "2026-11": (dt.date(2026, 11, 20), local(2026, 11, 2), ON_TIME),
        "2026-12": (dt.date(2026, 12, 20), local(2026, 12, 18), ON_TIME),
    },
    # "trước ngày 20 tháng cuối quý": before 20/3, 20/6, 20/9, 20/12
    "report-quarterly": {
        "2026-Q1": (dt.date(2026, 3, 20), local(2026, 3, 18), ON_TIME),
        "2026-Q2": (dt.date(2026, 6, 20), local(2026, 6, 22), LATE),
        "2026-Q3": (dt.date(2026, 9, 20), None, MISSING),
        "2026-Q4": (dt.date(2026, 12, 20), local(2026, 12, 10), ON_TIME),
    },
    "report-half-year": {"2026-H1": (dt.date(2026, 6, 10), local(2026, 6, 10, 7), LATE)},
    "report-yearly": {"2026": (dt.date(2026, 12, 10), local(2026, 12, 9, 16), ON_TIME)},
}


def _occurrences() -> dict[str, dict[str, Occurrence]]:
    rules = resolve_rules((), regime_for_year(2026).deadline_rules)
    return {code: {o.period: o for o in rules[code].occurrences(2026)} for code in STORY}


def test_the_rules_fall_due_on_the_dates_the_plan_writes() -> None:
    occurrences = _occurrences()
    for code, periods in STORY.items():
        assert set(occurrences[code]) == set(periods), code
        for period, (before, _, _) in periods.items():
            assert occurrences[code][period].before == before, (code, period)


def _expected(before: dt.date, submitted: dt.datetime | None, verdict: ReportStatus, now: dt.datetime) -> ReportStatus:
    due = dt.datetime.combine(before, dt.time(0, 0), tzinfo=LOCAL_TZ)
    if submitted is not None and submitted <= now:
        return verdict
    return MISSING if now >= due else NOT_DUE


@pytest.mark.parametrize("month", range(1, 13))
def test_a_simulated_year_month_by_month(month: int) -> None:
    """Frozen at the end of each month (and on its 15th), every report of the year has the status the story says."""
    occurrences = _occurrences()
    for now in (local(2026, month, 15, 12), local(2026 + month // 12, month % 12 + 1, 1, 0) - dt.timedelta(minutes=1)):
        for code, periods in STORY.items():
            for period, (before, submitted, verdict) in periods.items():
                got = classify_report(occurrences[code][period], submitted, now)
                assert got == _expected(before, submitted, verdict, now), (code, period, now)


def test_the_year_ends_with_each_report_classified() -> None:
    occurrences = _occurrences()
    end = local(2027, 1, 1, 0)
    statuses = [
        classify_report(occurrences[code][period], submitted, end)
        for code, periods in STORY.items()
        for period, (_, submitted, _) in periods.items()
    ]
    assert StatusCount.of(statuses) == StatusCount(not_due=0, on_time=10, late=5, missing=3)
    assert StatusCount.of(statuses).total == 18


def test_mid_year_the_coming_reports_are_not_yet_due() -> None:
    occurrences = _occurrences()
    now = local(2026, 6, 15)
    monthly = {
        p: classify_report(occurrences["report-monthly"][p], STORY["report-monthly"][p][1], now)
        for p in STORY["report-monthly"]
    }
    assert monthly == {
        "2026-01": ON_TIME, "2026-02": LATE, "2026-03": ON_TIME, "2026-04": LATE, "2026-05": MISSING,
        "2026-06": ON_TIME,  # sent early, on 5/6
        "2026-07": NOT_DUE, "2026-08": NOT_DUE, "2026-09": NOT_DUE, "2026-10": NOT_DUE, "2026-11": NOT_DUE,
        "2026-12": NOT_DUE,
    }  # fmt: skip
    q2 = occurrences["report-quarterly"]["2026-Q2"]
    assert classify_report(q2, None, now) == NOT_DUE
    assert classify_report(q2, None, local(2026, 6, 19, 23, 59)) == NOT_DUE
    assert classify_report(q2, None, local(2026, 6, 20, 0, 0)) == MISSING
    # the half-year report sent on 10/6 at 7:00 is late: "trước ngày 10/6" ends with 9/6
    assert classify_report(occurrences["report-half-year"]["2026-H1"], local(2026, 6, 10, 7), now) == LATE


def test_a_due_date_in_tet_stays_where_the_plan_writes_it() -> None:
    calendar = WorkingCalendar()
    february = _occurrences()["report-monthly"]["2026-02"]
    assert february.last_day == dt.date(2026, 2, 19)
    assert not calendar.is_working_day(february.last_day)
    assert calendar.holiday_name(february.last_day) is not None
    # during Tết the report is not yet late …
    assert classify_report(february, None, local(2026, 2, 19, 22)) == NOT_DUE
    # … from 20/02 it is missing, and sent on Monday 23/02 it is late by one working day (20/02 is a holiday)
    assert classify_report(february, None, local(2026, 2, 21)) == MISSING
    sent = local(2026, 2, 23, 8)
    assert classify_report(february, sent, local(2026, 2, 24)) == LATE
    assert working_days_late(february, sent, calendar) == 1
    # sent before Tết it is on time
    assert classify_report(february, local(2026, 2, 13, 16), local(2026, 3, 1)) == ON_TIME
    assert working_days_late(february, local(2026, 2, 13, 16), calendar) == 0


def test_a_submission_recorded_after_now_is_not_seen_yet() -> None:
    january = _occurrences()["report-monthly"]["2026-01"]
    assert classify_report(january, local(2026, 1, 16), local(2026, 1, 10)) == NOT_DUE
    assert classify_report(january, local(2026, 1, 25), local(2026, 1, 22)) == MISSING


def test_a_report_carries_the_figures_of_the_month_it_falls_due() -> None:
    occurrences = _occurrences()
    assert reference_month(occurrences["report-quarterly"]["2026-Q3"]) == (2026, 9)
    assert reference_month(occurrences["report-half-year"]["2026-H1"]) == (2026, 6)
    assert reference_month(occurrences["report-yearly"]["2026"]) == (2026, 12)
    assert reference_month(occurrences["report-monthly"]["2026-02"]) == (2026, 2)
