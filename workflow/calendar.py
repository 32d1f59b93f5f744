"""The working-day calendar of Vietnamese state offices.

Public holidays (Tết and the rest, with the swaps the government announced and the `holidays`
package records) come from the `holidays` package's Vietnam calendar; nothing is hand-written
here. Each year the government also announces swapped days off and Saturday make-up working
days; an administrator records those and they reach this module as data (`days_off`,
`working_days`), winning over the package. Saturdays and Sundays are days off unless listed as
working days.

Counting rule for limits in working days (used by every step limit): the day of the event is not
counted; the limit ends at the end of the N-th working day after it (Bộ luật Dân sự 2015, Điều 147:
a period counted in days starts on the day after the event).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

#: Every date people see and every deadline is in Vietnam's time zone.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_ONE_DAY = dt.timedelta(days=1)
#: a guard against an endless search if someone marks years of days off
_MAX_SCAN_DAYS = 3660


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Vietnam of an aware instant."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime")
    return moment.astimezone(LOCAL_TZ).date()


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 of `day` in Vietnam, as an aware UTC instant."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def local_time(day: dt.date, at: dt.time) -> dt.datetime:
    """`at` o'clock on `day` in Vietnam, as an aware UTC instant."""
    return dt.datetime.combine(day, at, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


@functools.cache
def _vietnam_holidays() -> holidays.HolidayBase:
    """The `holidays` package's Vietnamese calendar, one per process: it expands year by year on first use
    (the same for every calendar); language "vi" gives the Vietnamese names people see."""
    return holidays.country_holidays("VN", language="vi")


class WorkingCalendar:
    """Which days state offices work, and arithmetic in working days.

    `days_off` maps a date to the reason it is a day off (an announced swap, a local holiday);
    `working_days` lists dates that are worked although they would be off (make-up Saturdays).
    A date in both is an error: the administrator must say which one holds.
    """

    def __init__(
        self,
        days_off: Mapping[dt.date, str] | None = None,
        working_days: Iterable[dt.date] = (),
    ) -> None:
        self._days_off = dict(days_off or {})
        self._working_days = frozenset(working_days)
        # a calendar never changes once made: scans ask the same days tens of thousands of times
        self._working: dict[dt.date, bool] = {}
        self._added: dict[tuple[dt.date, int], dt.date] = {}
        clash = self._working_days & self._days_off.keys()
        if clash:
            listed = ", ".join(day.strftime("%d/%m/%Y") for day in sorted(clash))
            raise ValueError(f"ngày vừa là ngày nghỉ vừa là ngày làm việc: {listed}")

    @cached_property
    def _public_holidays(self) -> holidays.HolidayBase:
        return _vietnam_holidays()

    def holiday_name(self, day: dt.date) -> str | None:
        """Why `day` is a day off other than a weekend (None on a working day or a plain weekend)."""
        if day in self._working_days:
            return None
        if day in self._days_off:
            return self._days_off[day]
        name = self._public_holidays.get(day)
        return str(name) if name is not None else None

    def is_working_day(self, day: dt.date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self._is_working_day(day)
        return known

    def _is_working_day(self, day: dt.date) -> bool:
        if day in self._working_days:
            return True
        if day in self._days_off:
            return False
        calendar = self._public_holidays
        if day in calendar:
            return False
        if day.weekday() >= 5:
            # Saturdays the government made working days in exchange for a bridge day off
            return day in calendar.weekend_workdays
        return True

    def next_working_day(self, day: dt.date, *, inclusive: bool = True) -> dt.date:
        """The first working day on or after `day` (strictly after when not inclusive)."""
        current = day if inclusive else day + _ONE_DAY
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(current):
                return current
            current += _ONE_DAY
        raise ValueError(f"không tìm thấy ngày làm việc sau {day:%d/%m/%Y}")

    def previous_working_day(self, day: dt.date, *, inclusive: bool = True) -> dt.date:
        """The last working day on or before `day` (strictly before when not inclusive)."""
        current = day if inclusive else day - _ONE_DAY
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(current):
                return current
            current -= _ONE_DAY
        raise ValueError(f"không tìm thấy ngày làm việc trước {day:%d/%m/%Y}")

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (`start` itself is not counted).

        A limit of `count` working days from an event on `start` ends at the end of that day.
        """
        if count < 1:
            raise ValueError("số ngày làm việc phải lớn hơn 0")
        known = self._added.get((start, count))
        if known is None:
            known = self._added[start, count] = self._add_working_days(start, count)
        return known

    def _add_working_days(self, start: dt.date, count: int) -> dt.date:
        current = start
        for _ in range(count):
            current = self.next_working_day(current, inclusive=False)
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        current = start + _ONE_DAY
        while current <= end:
            if self.is_working_day(current):
                count += 1
            current += _ONE_DAY
        return count

    def days_off_between(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """The holidays (not plain weekends) from `start` to `end` inclusive, with their names."""
        found: list[tuple[dt.date, str]] = []
        current = start
        while current <= end:
            name = self.holiday_name(current)
            if name is not None:
                found.append((current, name))
            current += _ONE_DAY
        return found
