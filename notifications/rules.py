"""The reminder policy from the settings. The deadline data (calendar, overrides, plan dates, `RuleBook`)
lives in `dossiers.planning.rules`."""

from __future__ import annotations

import datetime as dt

from dossiers.settings import Settings
from workflow.deadlines import ReminderPolicy, RuleError


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
