"""Deadline rules as data, their one meaning of "before", overrides, and the reminder schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from workflow.calendar import WorkingCalendar
from workflow.deadlines import (
    DEADLINE_RULES,
    ObligorKind,
    PlannedReminder,
    ReminderKind,
    ReminderPolicy,
    RuleError,
    RuleOverride,
    Schedule,
    default_rule,
    due_now,
    quarterly,
    reminder_schedule,
    resolve_rules,
)

D = dt.date
R, E = ReminderKind.REMINDER, ReminderKind.ESCALATION


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def _befores(code: str, year: int) -> list[tuple[str, dt.date]]:
    return [(o.period, o.before) for o in default_rule(code).occurrences(year)]


def test_every_seed_date_is_a_rule() -> None:
    assert _befores("dossier-submission", 2025) == [("2025", D(2025, 9, 20))]  # seed 004
    assert _befores("dossier-completion", 2025) == [("2025", D(2025, 10, 20))]  # seed 004
    assert _befores("report-quarterly", 2025) == [
        ("2025-Q1", D(2025, 3, 20)),
        ("2025-Q2", D(2025, 6, 20)),
        ("2025-Q3", D(2025, 9, 20)),
        ("2025-Q4", D(2025, 12, 20)),
    ]  # seed 004: before the 20th of the quarter's last month
    assert _befores("report-half-year", 2025) == [("2025-H1", D(2025, 6, 10))]  # seed 004
    assert _befores("report-yearly", 2025) == [("2025", D(2025, 12, 10))]  # seed 004
    monthly = _befores("report-monthly", 2025)
    assert len(monthly) == 12 and monthly[0] == ("2025-01", D(2025, 1, 20)) and monthly[-1][0] == "2025-12"
    assert _befores("department-difficulties", 2024) == [("2024", D(2024, 3, 31))]  # seed 000
    assert _befores("commune-plan", 2024) == [("2024", D(2024, 2, 20))]  # seed 001
    assert _befores("department-yearly-report", 2024) == [("2024", D(2024, 12, 10))]  # seed 003
    assert default_rule("appraisal").working_days is None  # the procedure's step limit (workflow.rules)


def test_every_rule_names_its_source() -> None:
    codes = [rule.code for rule in DEADLINE_RULES]
    assert len(codes) == len(set(codes))
    for rule in DEADLINE_RULES:
        assert rule.source.strip() and rule.confidence
        if rule.obligor == ObligorKind.DOSSIER:
            assert rule.milestone in {"submitted", "complete"}
    # the monthly report's day is not in the seed: the default says so
    assert default_rule("report-monthly").confidence == "low"


def test_before_means_by_the_end_of_the_previous_day_in_vietnam() -> None:
    (occurrence,) = default_rule("dossier-submission").occurrences(2025)
    assert occurrence.last_day == D(2025, 9, 19)
    # late from 00:00 on 20/9 in Hanoi = 17:00 UTC on 19/9
    assert occurrence.due_at == dt.datetime(2025, 9, 19, 17, 0, tzinfo=dt.UTC)


def test_schedules_round_trip_and_refuse_nonsense() -> None:
    schedule = Schedule.from_dict({"every": "quarter", "day": 25, "month_of_quarter": 2})
    assert schedule == quarterly(25, month_of_quarter=2)
    assert Schedule.from_dict(schedule.to_dict()) == schedule
    assert [o.before for o in schedule.occurrences(2025)][:2] == [D(2025, 2, 25), D(2025, 5, 25)]
    assert Schedule.from_dict({"every": "month", "day": 31, "months": [2]}).occurrences(2025)[0].before == D(
        2025, 2, 28
    )
    for bad in (
        {"every": "week", "day": 1},
        {"every": "year", "day": 31},
        {"every": "year", "day": 31, "month": 2},
        {"every": "quarter", "day": 20, "month_of_quarter": 4},
        {"every": "month", "day": 10, "months": [13]},
        {"every": "month"},
        {"every": "month", "day": 10, "when": "soon"},
    ):
        with pytest.raises(RuleError):
            Schedule.from_dict(bad)


def test_a_district_overrides_a_province_for_one_year() -> None:
    province = RuleOverride(code="report-quarterly", source="KH tỉnh", schedule=quarterly(25))
    district = RuleOverride(
        code="report-quarterly", source="KH huyện", schedule=quarterly(15), reminder_offsets=(10, 2)
    )
    monthly_off = RuleOverride(code="report-monthly", source="KH huyện", enabled=False)
    rules = resolve_rules([province, district, monthly_off])
    quarterly_rule = rules["report-quarterly"]
    assert [o.before.day for o in quarterly_rule.occurrences(2025)] == [15, 15, 15, 15]
    assert quarterly_rule.reminder_offsets == (10, 2)
    assert quarterly_rule.overridden_by == ("KH tỉnh", "KH huyện")
    assert rules["report-monthly"].enabled is False
    assert resolve_rules([])["report-quarterly"] == default_rule("report-quarterly")
    with pytest.raises(RuleError):
        resolve_rules([RuleOverride(code="no-such-rule", source="x")])
    with pytest.raises(RuleError):
        resolve_rules([RuleOverride(code="appraisal", source="x", schedule=quarterly(20))])
    with pytest.raises(RuleError):
        resolve_rules([RuleOverride(code="report-yearly", source="x", working_days=10)])
    with pytest.raises(RuleError):
        resolve_rules([RuleOverride(code="report-yearly", source="x", escalation_offsets=(0,))])


def _plan(calendar: WorkingCalendar, last_day: dt.date) -> list[tuple[int, dt.date]]:
    return [(p.offset, p.send_on) for p in reminder_schedule(last_day, calendar, (7, 3, 1, 0), (1,))]


# Worked out by hand from the calendar; -1 is the escalation the day after the last day.
EXPECTED = [
    # seed 004: dossier to the district before 20/9/2025 (also Q3 report): last day Friday 19/9
    (
        D(2025, 9, 19),
        [(7, D(2025, 9, 12)), (3, D(2025, 9, 16)), (1, D(2025, 9, 18)), (0, D(2025, 9, 19)), (-1, D(2025, 9, 22))],
    ),
    # seed 004: complete dossier before 20/10/2025: last day Sunday 19/10 → reminders move to Friday 17/10
    (D(2025, 10, 19), [(7, D(2025, 10, 10)), (3, D(2025, 10, 16)), (0, D(2025, 10, 17)), (-1, D(2025, 10, 20))]),
    # seed 004: half-year report before 10/6: 1 day before is Sunday 8/6 → Friday 6/6, merged with "3 days"
    (D(2025, 6, 9), [(7, D(2025, 6, 2)), (1, D(2025, 6, 6)), (0, D(2025, 6, 9)), (-1, D(2025, 6, 10))]),
    # seed 004: yearly report before 10/12
    (
        D(2025, 12, 9),
        [(7, D(2025, 12, 2)), (3, D(2025, 12, 5)), (1, D(2025, 12, 8)), (0, D(2025, 12, 9)), (-1, D(2025, 12, 10))],
    ),
    # seed 000: difficulties before 31/3: last day Sunday 30/3
    (D(2025, 3, 30), [(7, D(2025, 3, 21)), (3, D(2025, 3, 27)), (0, D(2025, 3, 28)), (-1, D(2025, 3, 31))]),
    # seed 001: commune plan before 20/2/2026: last day 19/2/2026 is mùng 3 Tết; offices close 16-20/2
    (D(2026, 2, 19), [(7, D(2026, 2, 12)), (0, D(2026, 2, 13)), (-1, D(2026, 2, 23))]),
]


@pytest.mark.parametrize(("last_day", "expected"), EXPECTED)
def test_reminder_days(calendar: WorkingCalendar, last_day: dt.date, expected: list[tuple[int, dt.date]]) -> None:
    assert _plan(calendar, last_day) == expected


def test_reminders_never_fall_on_a_day_off(calendar: WorkingCalendar) -> None:
    day = D(2025, 1, 1)
    while day < D(2027, 1, 1):
        for planned in reminder_schedule(day, calendar, (7, 3, 1, 0), (1, 5)):
            assert calendar.is_working_day(planned.send_on), (day, planned)
            if planned.kind == ReminderKind.REMINDER:
                assert planned.send_on <= day
            else:
                assert planned.send_on > day
        day += dt.timedelta(days=1)


def test_catch_up_sends_only_the_latest_missed_reminder() -> None:
    stream = [
        PlannedReminder(7, R, D(2025, 9, 12)),
        PlannedReminder(3, R, D(2025, 9, 16)),
        PlannedReminder(1, R, D(2025, 9, 18)),
        PlannedReminder(0, R, D(2025, 9, 19)),
    ]
    nothing = due_now(stream, D(2025, 9, 11), (), 7)
    assert nothing.send is None and nothing.skip == ()
    on_time = due_now(stream, D(2025, 9, 12), (), 7)
    assert on_time.send == stream[0] and on_time.skip == ()
    assert due_now(stream, D(2025, 9, 12), [7], 7).send is None  # a rerun sends nothing
    # down from 11/9 to 17/9: the "3 days" reminder goes out late, "7 days" is recorded as skipped
    back = due_now(stream, D(2025, 9, 17), (), 7)
    assert back.send == stream[1] and back.skip == (stream[0],)
    # already recorded offsets are never skipped again
    assert due_now(stream, D(2025, 9, 18), [7, 3], 7) == due_now(stream, D(2025, 9, 18), [7, 3], 7)
    assert due_now(stream, D(2025, 9, 18), [7, 3], 7).skip == ()
    # after the last day a missed reminder is not sent: the escalation says it better
    late = due_now(stream, D(2025, 9, 22), [7], 7, last_day=D(2025, 9, 19))
    assert late.send is None and [p.offset for p in late.skip] == [3, 1, 0]
    assert due_now(stream, D(2025, 9, 19), [7], 7, last_day=D(2025, 9, 19)).send == stream[3]
    # too old to be worth sending
    stale = due_now([PlannedReminder(-1, E, D(2025, 9, 22))], D(2025, 10, 1), (), 7)
    assert stale.send is None and [p.offset for p in stale.skip] == [-1]


def test_policy_validates_offsets() -> None:
    assert ReminderPolicy(offsets=(0, 7, 3, 3)).offsets == (7, 3, 0)
    with pytest.raises(RuleError):
        ReminderPolicy(offsets=(-1,))
    with pytest.raises(RuleError):
        ReminderPolicy(escalation_offsets=(0,))
