"""The deadline data administrators keep: the yearly calendar swaps and each authority's own dates.

`workflow.deadlines` and `workflow.calendar` hold the rules; this module loads what is stored
(`CalendarDay`, `DeadlineOverride`) and hands it to them as plain data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.access import is_admin, person_of
from dossiers.models import Unit, User
from dossiers.settings import Settings
from dossiers.territory import AUTHORITY_KINDS
from notifications.models import CalendarDay, DeadlineOverride
from workflow import permissions
from workflow.calendar import WorkingCalendar
from workflow.deadlines import (
    DeadlineRule,
    ReminderPolicy,
    RuleError,
    RuleOverride,
    Schedule,
    default_rule,
    resolve_rules,
)
from workflow.errors import NotPermitted
from workflow.regimes import regime_for_year


def policy_from_settings(settings: Settings) -> ReminderPolicy:
    try:
        hours, minutes = (int(part) for part in settings.reminder_send_at.split(":"))
        send_at = dt.time(hours, minutes)
    except ValueError:
        raise RuleError(f"giờ gửi nhắc '{settings.reminder_send_at}' không hợp lệ (dạng HH:MM)") from None
    return ReminderPolicy(
        offsets=settings.reminder_offsets,
        escalation_offsets=settings.escalation_offsets,
        send_at=send_at,
        catch_up_days=settings.reminder_catch_up_days,
        digest=settings.reminder_digest,
    )


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
    """Every stored override, loaded once; answers "which rules hold for this unit in this year"."""

    overrides: dict[tuple[int, int], list[RuleOverride]] = field(default_factory=dict)
    _cache: dict[tuple[tuple[int, ...], int], dict[str, DeadlineRule]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> RuleBook:
        book = cls()
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
