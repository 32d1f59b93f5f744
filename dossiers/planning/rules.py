"""The deadline data a province keeps: the yearly calendar swaps, each authority's own dates (stored
overrides) and the dates of local plans (dossiers/data/deadlines/*.yaml), handed to `workflow.deadlines`
and `workflow.calendar` as plain data.

A rule that one locality's plan set (20/02, 31/3, the department's 10/12) is off by default and holds
only under the authority whose plan set it, in that plan's year: tỉnh Cao Bằng does not get Nam Định's
dates. Plan dates apply before stored overrides, the province's before the district's.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.access import is_admin, person_of
from dossiers.models import CalendarDay, DeadlineOverride, Unit, User
from dossiers.territory import AUTHORITY_KINDS
from workflow import permissions
from workflow.calendar import WorkingCalendar
from workflow.deadlines import (
    DeadlineRule,
    RuleError,
    RuleOverride,
    Schedule,
    default_rule,
    resolve_rules,
)
from workflow.errors import NotPermitted
from workflow.regimes import regime_for_year
from workflow.vocabulary import Confidence

PLAN_DATES_DIR = Path(__file__).resolve().parent.parent / "data" / "deadlines"


@dataclass(frozen=True)
class PlanDates:
    """The rules one authority's plan of one year switches on, with their dates."""

    authority_code: str
    authority: str
    year: int
    overrides: tuple[RuleOverride, ...]


def parse_plan_dates(text: str, name: str = "plan-dates.yaml") -> tuple[PlanDates, ...]:
    """Read one plan-dates file; raises RuleError naming the entry that cannot hold."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RuleError(f"{name}: không đọc được YAML ({exc})") from None
    found: list[PlanDates] = []
    for index, entry in enumerate(data.get("plans") or (), start=1):
        where = f"{name}, kế hoạch thứ {index}"
        try:
            code, year, source = str(entry["authority_code"]), int(entry["year"]), str(entry["source"]).strip()
            confidence = Confidence(entry["confidence"])
            rules: Mapping[str, Any] = entry["rules"]
        except (KeyError, TypeError, ValueError) as exc:
            raise RuleError(f"{where}: thiếu hoặc sai trường {exc}") from None
        overrides = []
        for rule_code, schedule in rules.items():
            override = RuleOverride(
                code=rule_code,
                source=source,
                schedule=Schedule.from_dict(schedule) if schedule is not None else None,
                enabled=True,
                confidence=confidence,
            )
            override.apply(default_rule(rule_code))  # raises with the reason when it cannot apply
            overrides.append(override)
        found.append(PlanDates(code, str(entry.get("authority", code)), year, tuple(overrides)))
    return tuple(found)


def plan_date_files() -> list[Path]:
    """The package's files, then those of `NTM_PLAN_DATES_DIR` (a deployment's own plans)."""
    files = sorted(PLAN_DATES_DIR.glob("*.yaml"))
    extra = os.environ.get("NTM_PLAN_DATES_DIR")
    if extra:
        files += sorted(Path(extra).glob("*.yaml"))
    return files


@functools.cache
def plan_dates() -> tuple[PlanDates, ...]:
    """Every plan's dates, read once per process."""
    return tuple(p for path in plan_date_files() for p in parse_plan_dates(path.read_text("utf-8"), path.name))


def load_calendar(session: Session) -> WorkingCalendar:
    """The working-day calendar: the `holidays` package's, corrected by the days an admin recorded."""
    days = session.scalars(select(CalendarDay)).all()
    return WorkingCalendar(
        days_off={day.day: day.note for day in days if not day.working},
        working_days=[day.day for day in days if day.working],
    )


def _require_admin(actor: User, action: str) -> None:
    if not is_admin(actor):
        raise NotPermitted(action, "chỉ quản trị hệ thống được thay đổi lịch làm việc")


def set_calendar_day(
    session: Session, actor: User, now: dt.datetime, day: dt.date, *, working: bool, note: str
) -> CalendarDay:
    """Record that `day` is a working day (make-up Saturday) or a day off (swapped bridge day); flushes.

    Recording the same day again replaces the earlier entry.
    """
    _require_admin(actor, "cập nhật lịch làm việc")
    if not note.strip():
        raise RuleError("cần ghi căn cứ (ví dụ: Thông báo của Bộ Nội vụ về lịch nghỉ Tết)")
    entry = session.scalars(select(CalendarDay).where(CalendarDay.day == day)).first()
    if entry is None:
        entry = CalendarDay(day=day, working=working, note=note.strip(), created_by_id=actor.id, created_at=now)
        session.add(entry)
    else:
        entry.working, entry.note, entry.created_by_id, entry.created_at = working, note.strip(), actor.id, now
    session.flush()
    return entry


def remove_calendar_day(session: Session, actor: User, day: dt.date) -> bool:
    """Forget an admin's entry for `day` (the package's calendar applies again); flushes."""
    _require_admin(actor, "cập nhật lịch làm việc")
    entry = session.scalars(select(CalendarDay).where(CalendarDay.day == day)).first()
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def set_deadline_override(
    session: Session,
    actor: User,
    now: dt.datetime,
    *,
    authority: Unit,
    year: int,
    code: str,
    source: str,
    schedule: Mapping[str, Any] | None = None,
    enabled: bool | None = None,
    working_days: int | None = None,
    reminder_offsets: Sequence[int] | None = None,
    escalation_offsets: Sequence[int] | None = None,
) -> DeadlineOverride:
    """A province's or district's own date / period / offsets for rule `code` in `year`; flushes.

    Validated against the rule before it is stored, so a stored override always applies. Admins
    and the authority's coordinators may set it; setting it again replaces it.
    """
    if authority.kind not in AUTHORITY_KINDS:
        raise RuleError("chỉ tỉnh hoặc huyện ban hành kế hoạch điều chỉnh thời hạn")
    if not permissions.may_set_deadlines(person_of(actor), authority.id):
        raise NotPermitted("điều chỉnh thời hạn", f"{actor.full_name} không phải cán bộ điều phối của {authority.name}")
    if not source.strip():
        raise RuleError("cần ghi văn bản căn cứ (số, ngày của kế hoạch)")
    parsed = Schedule.from_dict(schedule) if schedule is not None else None
    override = RuleOverride(
        code=code,
        source=source.strip(),
        schedule=parsed,
        enabled=enabled,
        working_days=working_days,
        reminder_offsets=tuple(reminder_offsets) if reminder_offsets is not None else None,
        escalation_offsets=tuple(escalation_offsets) if escalation_offsets is not None else None,
    )
    override.apply(default_rule(code))  # raises RuleError with the reason when it cannot apply

    row = session.scalars(
        select(DeadlineOverride).where(
            DeadlineOverride.authority_unit_id == authority.id,
            DeadlineOverride.year == year,
            DeadlineOverride.rule_code == code,
        )
    ).first()
    if row is None:
        row = DeadlineOverride(authority_unit_id=authority.id, year=year, rule_code=code)
        session.add(row)
    row.schedule = parsed.to_dict() if parsed is not None else None
    row.enabled = enabled
    row.working_days = working_days
    row.reminder_offsets = list(override.reminder_offsets) if override.reminder_offsets is not None else None
    row.escalation_offsets = list(override.escalation_offsets) if override.escalation_offsets is not None else None
    row.source = override.source
    row.created_by_id = actor.id
    row.created_at = now
    session.flush()
    return row


def _as_override(row: DeadlineOverride) -> RuleOverride:
    return RuleOverride(
        code=row.rule_code,
        source=row.source,
        schedule=Schedule.from_dict(row.schedule) if row.schedule is not None else None,
        enabled=row.enabled,
        working_days=row.working_days,
        reminder_offsets=tuple(row.reminder_offsets) if row.reminder_offsets is not None else None,
        escalation_offsets=tuple(row.escalation_offsets) if row.escalation_offsets is not None else None,
    )


@dataclass
class RuleBook:
    """Every stored override and every plan's dates, loaded once; answers "which rules hold for this unit
    in this year"."""

    overrides: dict[tuple[int, int], list[RuleOverride]] = field(default_factory=dict)
    _cache: dict[tuple[tuple[int, ...], int], dict[str, DeadlineRule]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, plans: Sequence[PlanDates] | None = None) -> RuleBook:
        """Two queries: the stored overrides, and the authorities the plans name (by unit code)."""
        book = cls()
        plans = plan_dates() if plans is None else plans
        if plans:
            codes = {p.authority_code for p in plans}
            units = session.execute(
                select(Unit.id, Unit.code).where(
                    Unit.code.in_(codes), Unit.kind.in_([k.value for k in AUTHORITY_KINDS])
                )
            ).all()
            by_code: dict[str, list[int]] = {}
            for unit_id, code in units:
                if code is not None:
                    by_code.setdefault(code, []).append(unit_id)
            for plan in plans:
                for unit_id in by_code.get(plan.authority_code, ()):
                    book.overrides.setdefault((unit_id, plan.year), []).extend(plan.overrides)
        rows = session.scalars(select(DeadlineOverride).order_by(DeadlineOverride.id)).all()
        for row in rows:
            book.overrides.setdefault((row.authority_unit_id, row.year), []).append(_as_override(row))
        return book

    def largest_offsets(self) -> tuple[int, int]:
        """The largest reminder and escalation offsets any override sets (0 when none)."""
        overrides = [o for found in self.overrides.values() for o in found]
        return (
            max((d for o in overrides for d in (o.reminder_offsets or ())), default=0),
            max((d for o in overrides for d in (o.escalation_offsets or ())), default=0),
        )

    def rules(self, chain: tuple[int, ...], year: int) -> dict[str, DeadlineRule]:
        """The rules for a unit whose authorities are `chain` (province first) in `year`."""
        key = (chain, year)
        if key not in self._cache:
            applied = [o for authority in chain for o in self.overrides.get((authority, year), [])]
            # the rules of the regime whose period holds the year (2026-2030: no district departments)
            self._cache[key] = resolve_rules(applied, regime_for_year(year).deadline_rules)
        return self._cache[key]
