"""Deadline rules as data, and the reminder policy.

One meaning of a date written "trước ngày D" ("before D") is used everywhere: the obligation must
be met by the end of the day before D, in Asia/Ho_Chi_Minh. Its *last day* is D − 1 and it is
late from 00:00 on D (`Occurrence.due_at`). Plans write dates as "trước ngày …"; a province whose
plan says "chậm nhất ngày D" (at the latest on D) enters D + 1 in its override. Dates are kept as
the plans write them: a last day on a weekend or during Tết stays where it is, and the reminders
move to the working days before it (see `reminder_schedule`). docs/deadlines.md explains all this
for people.

Rules are defaults taken from the seed plans, each with its source and how sure we are; a province
or a district changes dates, periods or reminder offsets for one year with a `RuleOverride`
(stored by `notifications`), never with a code change.
"""

from __future__ import annotations

import calendar as _gregorian
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from workflow.calendar import WorkingCalendar, local_midnight
from workflow.vocabulary import Confidence, RecognitionLevel, UnitKind


class ObligorKind(StrEnum):
    """Who owes an obligation."""

    #: a unit's dossier of the year (the unit's officers act on it)
    DOSSIER = "dossier"
    #: an administrative unit (a commune's periodic reports and plans)
    UNIT = "unit"
    #: an appraising department (a "Phòng" or a "Sở")
    DEPARTMENT = "department"
    #: an open appraisal task of a department, limited in working days
    APPRAISAL = "appraisal"
    #: another step of a dossier's procedure limited in working days (a registration to confirm, a
    #: decision to take): the authority owes it from the day the dossier entered `step_state`
    STEP = "step"


class Recurrence(StrEnum):
    YEARLY = "year"
    HALF_YEARLY = "half-year"
    QUARTERLY = "quarter"
    MONTHLY = "month"


class ReminderKind(StrEnum):
    #: to the people who owe the obligation, before its last day
    REMINDER = "reminder"
    #: to the coordinator of the supervising unit, after the last day passed
    ESCALATION = "escalation"


class RuleError(ValueError):
    """A deadline rule or override that cannot hold (the message is for the administrator, in Vietnamese)."""


_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Occurrence:
    """One due date of a rule: the period it covers and the date the plan writes ("trước ngày `before`")."""

    period: str
    label: str
    before: dt.date

    @property
    def last_day(self) -> dt.date:
        """The last day on which meeting the obligation is on time."""
        return self.before - dt.timedelta(days=1)

    @property
    def due_at(self) -> dt.datetime:
        """The instant (UTC) from which the obligation is late: 00:00 of `before` in Vietnam."""
        return local_midnight(self.before)


def occurrence_for_last_day(period: str, label: str, last_day: dt.date) -> Occurrence:
    """The occurrence whose last day is `last_day` (for limits counted forward, in working days)."""
    return Occurrence(period=period, label=label, before=last_day + dt.timedelta(days=1))


def _checked_date(year: int, month: int, day: int) -> dt.date:
    # "the 31st" of a short month means its last day
    return dt.date(year, month, min(day, _gregorian.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Schedule:
    """When a recurring obligation falls due within a year.

    YEARLY and HALF_YEARLY use `month`/`day` (half-year: the first half's report, the second half
    being the yearly report); QUARTERLY uses `day` of the quarter's `month_of_quarter`-th month;
    MONTHLY uses `day` of each month in `months` (all twelve when empty).
    """

    recurrence: Recurrence
    day: int
    month: int | None = None
    months: tuple[int, ...] = ()
    month_of_quarter: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise RuleError(f"ngày {self.day} không hợp lệ")
        if self.recurrence in (Recurrence.YEARLY, Recurrence.HALF_YEARLY):
            if self.month is None or not 1 <= self.month <= 12:
                raise RuleError("lịch hằng năm / 6 tháng cần tháng từ 1 đến 12")
            try:
                dt.date(2024, self.month, self.day)  # a leap year: 29/2 is allowed, 31/2 is not
            except ValueError:
                raise RuleError(f"ngày {self.day}/{self.month} không tồn tại") from None
        if any(not 1 <= month <= 12 for month in self.months):
            raise RuleError("danh sách tháng chỉ gồm các số từ 1 đến 12")
        if not 1 <= self.month_of_quarter <= 3:
            raise RuleError("tháng trong quý phải là 1, 2 hoặc 3")

    def occurrences(self, year: int) -> list[Occurrence]:
        if self.recurrence in (Recurrence.YEARLY, Recurrence.HALF_YEARLY):
            if self.month is None:
                raise RuleError("lịch hằng năm / 6 tháng cần tháng từ 1 đến 12")
            before = _checked_date(year, self.month, self.day)
            if self.recurrence == Recurrence.YEARLY:
                return [Occurrence(f"{year}", f"năm {year}", before)]
            return [Occurrence(f"{year}-H1", f"6 tháng đầu năm {year}", before)]
        if self.recurrence == Recurrence.QUARTERLY:
            return [
                Occurrence(
                    f"{year}-Q{quarter}",
                    f"quý {_ROMAN[quarter]}/{year}",
                    _checked_date(year, 3 * (quarter - 1) + self.month_of_quarter, self.day),
                )
                for quarter in (1, 2, 3, 4)
            ]
        months = sorted(set(self.months)) or list(range(1, 13))
        return [
            Occurrence(f"{year}-{month:02d}", f"tháng {month:02d}/{year}", _checked_date(year, month, self.day))
            for month in months
        ]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"every": self.recurrence.value, "day": self.day}
        if self.month is not None:
            data["month"] = self.month
        if self.months:
            data["months"] = list(self.months)
        if self.recurrence == Recurrence.QUARTERLY:
            data["month_of_quarter"] = self.month_of_quarter
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Parse the stored / typed form, e.g. {"every": "quarter", "day": 20, "month_of_quarter": 3}."""
        unknown = set(data) - {"every", "day", "month", "months", "month_of_quarter"}
        if unknown:
            raise RuleError(f"khóa không hợp lệ trong lịch: {', '.join(sorted(unknown))}")
        try:
            recurrence = Recurrence(data["every"])
        except (KeyError, ValueError):
            allowed = ", ".join(r.value for r in Recurrence)
            raise RuleError(f'lịch cần "every" là một trong: {allowed}') from None
        try:
            return cls(
                recurrence=recurrence,
                day=int(data["day"]),
                month=int(data["month"]) if data.get("month") is not None else None,
                months=tuple(int(m) for m in data.get("months", ())),
                month_of_quarter=int(data.get("month_of_quarter", 3)),
            )
        except KeyError:
            raise RuleError('lịch cần "day"') from None
        except (TypeError, ValueError) as exc:
            if isinstance(exc, RuleError):
                raise
            raise RuleError(f"giá trị không hợp lệ trong lịch: {exc}") from None


def yearly(month: int, day: int) -> Schedule:
    return Schedule(Recurrence.YEARLY, day=day, month=month)


def half_yearly(month: int, day: int) -> Schedule:
    return Schedule(Recurrence.HALF_YEARLY, day=day, month=month)


def quarterly(day: int, month_of_quarter: int = 3) -> Schedule:
    return Schedule(Recurrence.QUARTERLY, day=day, month_of_quarter=month_of_quarter)


def monthly(day: int, months: Iterable[int] = ()) -> Schedule:
    return Schedule(Recurrence.MONTHLY, day=day, months=tuple(months))


def _offsets(values: Iterable[int], *, minimum: int, what: str) -> tuple[int, ...]:
    result = tuple(sorted({int(v) for v in values}, reverse=True))
    if any(v < minimum for v in result):
        raise RuleError(f"{what} phải từ {minimum} trở lên")
    return result


@dataclass(frozen=True)
class DeadlineRule:
    """An obligation that recurs: who owes it, when it falls due, where the rule comes from.

    Date rules have a `schedule`. The appraisal rule has none: its limit is the procedure's step
    limit (`workflow.rules`, by the appraising authority's kind), or `working_days` when an
    override sets one, counted from the day the task opened. Step rules (`ObligorKind.STEP`) have
    none either: their limit is the step limit of `step_state` (`workflow.procedures.step_limit`),
    counted from the day the dossier entered that state.
    `milestone` (dossier rules) names the procedure milestone that meets the obligation.
    `unit_kinds` limits unit and department rules to units (or departments attached to units) of
    those kinds; `requires_ownership` limits department rules to departments that own indicators
    that year. `reminder_offsets` / `escalation_offsets` replace the policy's when set.
    """

    code: str
    title: str
    obligor: ObligorKind
    source: str
    confidence: Confidence
    schedule: Schedule | None = None
    working_days: int | None = None
    milestone: str | None = None
    levels: tuple[str, ...] = ()
    unit_kinds: tuple[str, ...] = ()
    requires_ownership: bool = False
    reminder_offsets: tuple[int, ...] | None = None
    escalation_offsets: tuple[int, ...] | None = None
    enabled: bool = True
    #: for a step rule: the procedure state whose time limit it is ("registered", "forwarded")
    step_state: str | None = None
    #: the overrides applied, e.g. ("KH 13/KH-UBND huyện Yên Thế",)
    overridden_by: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.counts_working_days:
            if self.schedule is not None:
                raise RuleError(f"quy tắc {self.code}: thời hạn thẩm tra tính theo ngày làm việc, không theo lịch")
            if self.obligor == ObligorKind.STEP and not self.step_state:
                raise RuleError(f"quy tắc {self.code}: thời hạn của bước cần trạng thái bắt đầu (step_state)")
        elif self.schedule is None or self.working_days is not None:
            raise RuleError(f"quy tắc {self.code}: cần lịch ngày (không tính theo ngày làm việc)")
        if self.working_days is not None and self.working_days < 1:
            raise RuleError(f"quy tắc {self.code}: số ngày làm việc phải lớn hơn 0")
        if self.obligor == ObligorKind.DOSSIER and not self.milestone:
            raise RuleError(f"quy tắc {self.code}: nghĩa vụ theo hồ sơ cần mốc hoàn thành (milestone)")

    @property
    def counts_working_days(self) -> bool:
        """A limit counted in working days from when a step started, not a date of the plan."""
        return self.obligor in (ObligorKind.APPRAISAL, ObligorKind.STEP)

    def occurrences(self, year: int) -> list[Occurrence]:
        if self.schedule is None:
            return []
        return self.schedule.occurrences(year)


@dataclass(frozen=True)
class RuleOverride:
    """A province's or district's change to one rule for one year (its plan says so)."""

    code: str
    source: str
    schedule: Schedule | None = None
    enabled: bool | None = None
    working_days: int | None = None
    reminder_offsets: tuple[int, ...] | None = None
    escalation_offsets: tuple[int, ...] | None = None
    #: how sure the source is (a plan's dates loaded from data); None keeps the rule's
    confidence: Confidence | None = None

    def apply(self, rule: DeadlineRule) -> DeadlineRule:
        if rule.code != self.code:
            raise RuleError(f"điều chỉnh của quy tắc {self.code} không áp dụng cho {rule.code}")
        if self.schedule is not None and rule.schedule is None:
            raise RuleError(f"quy tắc {rule.code} tính theo ngày làm việc, không có lịch ngày")
        if self.working_days is not None and not rule.counts_working_days:
            raise RuleError(f"quy tắc {rule.code} tính theo lịch ngày, không theo số ngày làm việc")
        return replace(
            rule,
            schedule=self.schedule if self.schedule is not None else rule.schedule,
            enabled=self.enabled if self.enabled is not None else rule.enabled,
            working_days=self.working_days if self.working_days is not None else rule.working_days,
            reminder_offsets=(
                _offsets(self.reminder_offsets, minimum=0, what="số ngày nhắc trước hạn")
                if self.reminder_offsets is not None
                else rule.reminder_offsets
            ),
            escalation_offsets=(
                _offsets(self.escalation_offsets, minimum=1, what="số ngày báo cáo vượt cấp sau hạn")
                if self.escalation_offsets is not None
                else rule.escalation_offsets
            ),
            source=self.source if self.confidence is not None else rule.source,
            confidence=self.confidence if self.confidence is not None else rule.confidence,
            overridden_by=(*rule.overridden_by, self.source),
        )


_COMMUNE_LEVELS = (
    RecognitionLevel.COMMUNE_NTM.value,
    RecognitionLevel.COMMUNE_ADVANCED.value,
    RecognitionLevel.COMMUNE_MODEL.value,
    RecognitionLevel.COMMUNE_MODERN.value,
)
_SEED_004 = "Seed 004: KH triển khai Chương trình MTQG xây dựng NTM huyện Thạch An năm 2025, mục 19 (UBND các xã)"

#: The rules the seed plans set. Codes are stable: outbox keys and report submissions name them.
DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule(
        code="dossier-submission",
        title="Gửi hồ sơ, báo cáo đề nghị thẩm tra, xét công nhận lên cấp trên",
        obligor=ObligorKind.DOSSIER,
        schedule=yearly(9, 20),
        milestone="submitted",
        levels=_COMMUNE_LEVELS,
        source=f"{_SEED_004}: 'chuẩn bị hồ sơ, báo cáo gửi cấp huyện trước ngày 20/9/2025'",
        confidence=Confidence.VERIFIED,
    ),
    DeadlineRule(
        code="dossier-completion",
        title="Hoàn tất hồ sơ trình xét công nhận",
        obligor=ObligorKind.DOSSIER,
        schedule=yearly(10, 20),
        milestone="complete",
        levels=_COMMUNE_LEVELS,
        source=f"{_SEED_004}: 'hoàn tất hồ sơ trình UBND huyện trước ngày 20/10/2025'",
        confidence=Confidence.VERIFIED,
    ),
    DeadlineRule(
        code="report-monthly",
        title="Báo cáo tháng kết quả thực hiện Chương trình",
        obligor=ObligorKind.UNIT,
        schedule=monthly(20),
        unit_kinds=(UnitKind.COMMUNE.value,),
        source=(
            f"{_SEED_004}: 'định kỳ báo cáo kết quả thực hiện chương trình hàng tháng' (kế hoạch không ghi ngày; "
            "mặc định trước ngày 20 như báo cáo quý — cần xác nhận)"
        ),
        confidence=Confidence.LOW,
    ),
    DeadlineRule(
        code="report-quarterly",
        title="Báo cáo quý kết quả thực hiện Chương trình",
        obligor=ObligorKind.UNIT,
        schedule=quarterly(20),
        unit_kinds=(UnitKind.COMMUNE.value,),
        source=f"{_SEED_004}: 'báo cáo quý (trước ngày 20 tháng cuối quý)'",
        confidence=Confidence.VERIFIED,
    ),
    DeadlineRule(
        code="report-half-year",
        title="Báo cáo 6 tháng kết quả thực hiện Chương trình",
        obligor=ObligorKind.UNIT,
        schedule=half_yearly(6, 10),
        unit_kinds=(UnitKind.COMMUNE.value,),
        source=f"{_SEED_004}: 'báo cáo 6 tháng (trước ngày 10/6)'",
        confidence=Confidence.VERIFIED,
    ),
    DeadlineRule(
        code="report-yearly",
        title="Báo cáo năm kết quả thực hiện Chương trình",
        obligor=ObligorKind.UNIT,
        schedule=yearly(12, 10),
        unit_kinds=(UnitKind.COMMUNE.value,),
        source=f"{_SEED_004}: 'báo cáo năm (trước ngày 10/12)'",
        confidence=Confidence.VERIFIED,
    ),
    DeadlineRule(
        code="commune-plan",
        title="Xây dựng kế hoạch thực hiện Chương trình năm của xã",
        obligor=ObligorKind.UNIT,
        schedule=yearly(2, 20),
        unit_kinds=(UnitKind.COMMUNE.value,),
        source=(
            "Seed 001: KH 138/KH-UBND xã Xuân Lương 2024, mục 7: 'hoàn thành xây dựng Kế hoạch xong trước 20/02/2024'"
        ),
        confidence=Confidence.VERIFIED,
        # one locality's plan: it applies where a plan says so (dossiers/data/deadlines/plans.yaml, an override)
        enabled=False,
    ),
    DeadlineRule(
        code="department-difficulties",
        title="Báo cáo khó khăn, vướng mắc và giải pháp đối với các tiêu chí phụ trách",
        obligor=ObligorKind.DEPARTMENT,
        schedule=yearly(3, 31),
        unit_kinds=(UnitKind.DISTRICT.value,),
        requires_ownership=True,
        source=(
            "Seed 000: KH thực hiện Chương trình MTQG xây dựng NTM huyện Trực Ninh 2024, mục 1: 'báo cáo UBND huyện "
            "(qua Phòng Nông nghiệp và PTNT) trước ngày 31/3/2024'"
        ),
        confidence=Confidence.VERIFIED,
        enabled=False,
    ),
    DeadlineRule(
        code="department-yearly-report",
        title="Báo cáo kết quả hướng dẫn, thực hiện các tiêu chí phụ trách",
        obligor=ObligorKind.DEPARTMENT,
        schedule=yearly(12, 10),
        unit_kinds=(UnitKind.PROVINCE.value,),
        requires_ownership=True,
        source=(
            "Seed 003: KH thực hiện Chương trình MTQG xây dựng NTM tỉnh Hải Dương 2024: 'báo cáo kết quả thực hiện "
            "về UBND tỉnh (qua Sở Nông nghiệp và PTNT) trước ngày 10/12/2024'"
        ),
        confidence=Confidence.VERIFIED,
        enabled=False,
    ),
    DeadlineRule(
        code="district-report-quarterly",
        title="Báo cáo quý của huyện về kết quả thực hiện Chương trình gửi UBND tỉnh",
        obligor=ObligorKind.UNIT,
        schedule=quarterly(25),
        unit_kinds=(UnitKind.DISTRICT.value,),
        source=(
            f"{_SEED_004}: 'Phòng Nông nghiệp và PTNT ... tham mưu cho UBND huyện, Ban chỉ đạo huyện báo cáo Ủy ban "
            "nhân dân tỉnh theo quy định' (kế hoạch không ghi ngày; mặc định trước ngày 25 tháng cuối quý, sau báo "
            "cáo quý của xã — cần xác nhận)"
        ),
        confidence=Confidence.LOW,
        # the plans that name it say so (dossiers/data/deadlines/plan-dates.yaml); no district after 1/7/2025
        enabled=False,
    ),
    DeadlineRule(
        code="appraisal",
        title="Thẩm tra hồ sơ đối với các chỉ tiêu phụ trách",
        obligor=ObligorKind.APPRAISAL,
        source=(
            "Thời hạn của bước thẩm tra trong quy trình (workflow.rules: appraisal_days theo cấp thẩm tra), "
            "tính từ ngày giao nhiệm vụ thẩm tra"
        ),
        confidence=Confidence.MEDIUM,
    ),
    DeadlineRule(
        code="registration-confirmation",
        title="Xác nhận đăng ký xây dựng nông thôn mới của xã",
        obligor=ObligorKind.STEP,
        step_state="registered",
        source=(
            "Thời hạn của bước xác nhận đăng ký trong quy trình (workflow.rules: registration_confirmation_days), "
            "tính từ ngày xã đăng ký"
        ),
        confidence=Confidence.MEDIUM,
    ),
    DeadlineRule(
        code="decision",
        title="Quyết định công nhận (hoặc không công nhận) sau tờ trình",
        obligor=ObligorKind.STEP,
        step_state="forwarded",
        source=(
            "Thời hạn của bước quyết định trong quy trình (workflow.rules: decision_days), tính từ ngày trình "
            "xét công nhận"
        ),
        confidence=Confidence.LOW,
    ),
    DeadlineRule(
        code="provincial-appraisal",
        title="Thẩm định hồ sơ cấp tỉnh (Sở Nông nghiệp và PTNT)",
        obligor=ObligorKind.STEP,
        step_state="provincial_appraisal",
        source=(
            "Thời hạn của bước thẩm định cấp tỉnh ở tỉnh có bước này (workflow.rules: provincial_appraisal_days; "
            "seed 003, Hải Dương), tính từ ngày huyện trình hoặc nộp lại hồ sơ đã bổ sung"
        ),
        confidence=Confidence.LOW,
    ),
)


def _rules_2026_2030() -> tuple[DeadlineRule, ...]:
    carried = (
        "Chưa có kế hoạch năm 2026 của tỉnh trong dữ liệu; tạm giữ ngày của kế hoạch 2025 (tỉnh ghi đè bằng "
        "quy định riêng)"
    )
    changed: dict[str, DeadlineRule] = {
        "dossier-submission": replace(
            default_rule("dossier-submission"), source=f"{carried}: {_SEED_004}", confidence=Confidence.LOW
        ),
        "dossier-completion": replace(
            default_rule("dossier-completion"), source=f"{carried}: {_SEED_004}", confidence=Confidence.LOW
        ),
        # the district departments that owed it were dissolved on 1/7/2025
        "department-difficulties": replace(
            default_rule("department-difficulties"),
            enabled=False,
            source="Không còn cấp huyện từ 01/07/2025 (NĐ 131/2025/NĐ-CP): không còn phòng chuyên môn cấp huyện",
            confidence=Confidence.HIGH,
        ),
    }
    return tuple(changed.get(rule.code, rule) for rule in DEADLINE_RULES)


def default_rule(code: str) -> DeadlineRule:
    for rule in DEADLINE_RULES:
        if rule.code == code:
            return rule
    known = ", ".join(rule.code for rule in DEADLINE_RULES)
    raise RuleError(f"không có quy tắc hạn '{code}' (các quy tắc: {known})")


def resolve_rules(
    overrides: Sequence[RuleOverride] = (), rules: Sequence[DeadlineRule] = DEADLINE_RULES
) -> dict[str, DeadlineRule]:
    """The rules in force for one unit and year: defaults, then each override in the order given.

    Pass the province's overrides before the district's so the nearer authority wins.
    """
    resolved = {rule.code: rule for rule in rules}
    for override in overrides:
        if override.code not in resolved:
            raise RuleError(f"không có quy tắc hạn '{override.code}'")
        resolved[override.code] = override.apply(resolved[override.code])
    return resolved


#: the 2026-2030 regime's rules: the same codes (stored rows name them), re-sourced where 2025 no longer holds
DEADLINE_RULES_2026_2030: tuple[DeadlineRule, ...] = _rules_2026_2030()


@dataclass(frozen=True)
class ReminderPolicy:
    """When people are told: `offsets` days before the last day (0 = on the day), and escalations
    `escalation_offsets` days after it. Reminders falling on a day off go out on the working day
    before; escalations on a day off wait for the next working day. Sent at `send_at` local time.
    After downtime only the most recent missed reminder of each obligation is sent, and only if
    it is at most `catch_up_days` old. `digest`: one e-mail per person per run listing every item.
    """

    offsets: tuple[int, ...] = (7, 3, 1, 0)
    escalation_offsets: tuple[int, ...] = (1,)
    send_at: dt.time = dt.time(7, 0)
    catch_up_days: int = 7
    digest: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "offsets", _offsets(self.offsets, minimum=0, what="số ngày nhắc trước hạn"))
        object.__setattr__(
            self,
            "escalation_offsets",
            _offsets(self.escalation_offsets, minimum=1, what="số ngày báo cáo vượt cấp sau hạn"),
        )
        if self.catch_up_days < 0:
            raise RuleError("số ngày gửi bù phải từ 0 trở lên")


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder of an obligation. `offset` is days before the last day (negative: after it)."""

    offset: int
    kind: ReminderKind
    send_on: dt.date


def reminder_schedule(
    last_day: dt.date,
    calendar: WorkingCalendar,
    offsets: Iterable[int],
    escalation_offsets: Iterable[int] = (),
) -> list[PlannedReminder]:
    """Every reminder and escalation of an obligation whose last day is `last_day`, by send day.

    Two reminders moved onto the same working day become one (the one nearer the deadline).
    """
    by_day: dict[dt.date, PlannedReminder] = {}
    for offset in sorted(set(offsets), reverse=True):
        if offset < 0:
            raise RuleError("số ngày nhắc trước hạn phải từ 0 trở lên")
        day = calendar.previous_working_day(last_day - dt.timedelta(days=offset))
        by_day[day] = PlannedReminder(offset=offset, kind=ReminderKind.REMINDER, send_on=day)
    reminders = sorted(by_day.values(), key=lambda p: p.send_on)

    escalations_by_day: dict[dt.date, PlannedReminder] = {}
    for after in sorted(set(escalation_offsets)):
        if after < 1:
            raise RuleError("số ngày báo cáo vượt cấp sau hạn phải từ 1 trở lên")
        day = calendar.next_working_day(last_day + dt.timedelta(days=after))
        escalations_by_day.setdefault(day, PlannedReminder(offset=-after, kind=ReminderKind.ESCALATION, send_on=day))
    escalations = sorted(escalations_by_day.values(), key=lambda p: p.send_on)
    return reminders + escalations


@dataclass(frozen=True)
class CatchUp:
    """What to do now with one stream (one recipient, one kind) of an obligation's reminders."""

    send: PlannedReminder | None
    skip: tuple[PlannedReminder, ...]


def due_now(
    planned: Sequence[PlannedReminder],
    today: dt.date,
    recorded: Iterable[int],
    catch_up_days: int,
    *,
    last_day: dt.date | None = None,
) -> CatchUp:
    """Which of `planned` (one stream, sorted by send day) to send today and which to record as skipped.

    `recorded` are the offsets already in the outbox (sent, pending, skipped or cancelled): never
    again. Of the reminders due by `today` and not recorded, only the latest is sent — a person
    back from a long weekend gets "3 days left", not also "7 days left" — and only if it is at most
    `catch_up_days` old; the older ones are recorded as skipped so a later run does not send them.
    With `last_day` (reminders before a deadline), nothing is sent after it: the escalation takes over.
    """
    done = set(recorded)
    due = [p for p in planned if p.send_on <= today]
    if not due:
        return CatchUp(send=None, skip=())
    latest = due[-1]
    earlier = tuple(p for p in due[:-1] if p.offset not in done)
    if latest.offset in done:
        return CatchUp(send=None, skip=earlier)
    too_old = (today - latest.send_on).days > catch_up_days
    if too_old or (last_day is not None and today > last_day):
        return CatchUp(send=None, skip=(*earlier, latest))
    return CatchUp(send=latest, skip=earlier)
