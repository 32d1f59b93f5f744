"""The working-day calendar: Vietnamese public holidays from the `holidays` package, admin swaps on top."""

from __future__ import annotations

import datetime as dt

import pytest

from workflow.calendar import WorkingCalendar, local_date, local_midnight

D = dt.date


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (D(2025, 1, 24), True, "Friday before Tết"),
        (D(2025, 1, 27), False, "29 Tết 2025"),
        (D(2025, 1, 29), False, "Tết Nguyên Đán (mùng 1)"),
        (D(2025, 1, 31), False, "mùng 3 Tết"),
        (D(2025, 2, 3), True, "first working day after Tết 2025"),
        (D(2025, 4, 7), False, "Giỗ Tổ Hùng Vương 2025"),
        (D(2025, 4, 26), True, "Saturday worked in exchange for 2/5/2025"),
        (D(2025, 5, 2), False, "bridge day off swapped with 26/4/2025"),
        (D(2025, 9, 1), False, "Quốc khánh 2025 (two days)"),
        (D(2025, 9, 2), False, "Quốc khánh"),
        (D(2025, 9, 6), False, "plain Saturday"),
        (D(2026, 2, 17), False, "Tết Nguyên Đán 2026"),
        (D(2026, 2, 20), False, "mùng 4 Tết 2026"),
        (D(2026, 2, 23), True, "first working day after Tết 2026"),
    ],
)
def test_public_holidays_and_weekends(calendar: WorkingCalendar, day: dt.date, working: bool, why: str) -> None:
    assert calendar.is_working_day(day) is working, why


def test_holiday_names_are_vietnamese(calendar: WorkingCalendar) -> None:
    assert calendar.holiday_name(D(2025, 1, 29)) == "Tết Nguyên Đán"
    assert calendar.holiday_name(D(2025, 9, 6)) is None  # a weekend is not a holiday
    assert calendar.holiday_name(D(2025, 9, 8)) is None


def test_admin_swaps_win_over_the_package() -> None:
    calendar = WorkingCalendar(
        days_off={D(2026, 1, 2): "Nghỉ bù Tết Dương lịch (thông báo của Bộ Nội vụ)"},
        working_days=[D(2026, 1, 10), D(2026, 2, 17)],
    )
    assert not calendar.is_working_day(D(2026, 1, 2))
    assert calendar.holiday_name(D(2026, 1, 2)) == "Nghỉ bù Tết Dương lịch (thông báo của Bộ Nội vụ)"
    assert calendar.is_working_day(D(2026, 1, 10))  # a Saturday made a working day
    assert calendar.is_working_day(D(2026, 2, 17))  # even a holiday, if the admin says so
    assert calendar.holiday_name(D(2026, 2, 17)) is None


def test_a_day_cannot_be_both_off_and_working() -> None:
    with pytest.raises(ValueError, match="02/01/2026"):
        WorkingCalendar(days_off={D(2026, 1, 2): "x"}, working_days=[D(2026, 1, 2)])


def test_working_day_limit_crossing_tet_2025(calendar: WorkingCalendar) -> None:
    # opened Monday 20/1/2025; 15 working days: 21-24/1 (4), Tết 27/1-2/2 closed, 3-7/2 (9), 10-14/2 (14), 17/2 (15)
    assert calendar.add_working_days(D(2025, 1, 20), 15) == D(2025, 2, 17)
    # without Tết the same limit would have ended a week earlier
    assert calendar.add_working_days(D(2025, 3, 3), 15) == D(2025, 3, 24)
    assert calendar.working_days_between(D(2025, 1, 20), D(2025, 2, 17)) == 15


def test_counting_starts_the_day_after(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(D(2025, 9, 12), 1) == D(2025, 9, 15)  # Friday → Monday
    assert calendar.add_working_days(D(2025, 8, 29), 1) == D(2025, 9, 3)  # over the National Day holiday
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2025, 9, 12), 0)


def test_next_and_previous_working_day(calendar: WorkingCalendar) -> None:
    assert calendar.previous_working_day(D(2026, 2, 19)) == D(2026, 2, 13)  # mùng 3 Tết → Friday before
    assert calendar.next_working_day(D(2026, 2, 20)) == D(2026, 2, 23)
    assert calendar.next_working_day(D(2025, 9, 15)) == D(2025, 9, 15)
    assert calendar.next_working_day(D(2025, 9, 15), inclusive=False) == D(2025, 9, 16)


def test_days_off_between_lists_tet(calendar: WorkingCalendar) -> None:
    names = dict(calendar.days_off_between(D(2026, 2, 14), D(2026, 2, 22)))
    assert set(names) == {D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20)}
    assert names[D(2026, 2, 17)] == "Tết Nguyên Đán"


def test_local_dates_are_vietnamese() -> None:
    # 17:30 UTC on 19/9 is already 00:30 on 20/9 in Hanoi
    assert local_date(dt.datetime(2025, 9, 19, 17, 30, tzinfo=dt.UTC)) == D(2025, 9, 20)
    assert local_midnight(D(2025, 9, 20)) == dt.datetime(2025, 9, 19, 17, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        local_date(dt.datetime(2025, 9, 19, 17, 30))
