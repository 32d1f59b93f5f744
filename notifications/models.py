"""What people are told and when, as rows: the outbox, and the calendar and deadline data admins set.

The outbox has two tables. An `OutboxItem` is one reminder of one obligation for one person at one
offset; its unique key (obligation, recipient, offset) is what makes a rerun send nothing twice.
An `OutboxMessage` is one e-mail: one item, or in digest mode every item due for a person in one
run. Delivery state (attempts, next attempt, last error) lives on the message.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models import Unit, User
from workflow.deadlines import DEADLINE_RULES, ReminderKind

#: the deadline rules of `workflow.deadlines`: what an outbox item or a province's override may be about
_RULE_CODES = tuple(rule.code for rule in DEADLINE_RULES)


class ItemStatus(StrEnum):
    #: waiting for its send time
    PENDING = "pending"
    #: part of a message not yet delivered
    QUEUED = "queued"
    SENT = "sent"
    #: the message carrying it failed for good
    FAILED = "failed"
    #: the obligation was met (or the person no longer owes it) before it went out
    CANCELLED = "cancelled"
    #: missed while the scheduler was down and older than the reminder sent instead
    SKIPPED = "skipped"
    #: a newer reminder of the same obligation went out first
    SUPERSEDED = "superseded"


#: items that may still reach someone
LIVE_ITEM_STATUSES = (ItemStatus.PENDING, ItemStatus.QUEUED)


class MessageStatus(StrEnum):
    PENDING = "pending"
    #: claimed by the sender; if the process died here, the next leader sends it again
    SENDING = "sending"
    SENT = "sent"
    #: refused for good (SMTP 5xx) or given up after too many temporary failures
    FAILED = "failed"
    #: every item of it was cancelled before it went out
    CANCELLED = "cancelled"


class OutboxItem(Base):
    """One reminder (or escalation) of one obligation for one person, at one offset from its last day."""

    __tablename__ = "outbox_items"
    __table_args__ = (
        UniqueConstraint("obligation_key", "recipient_id", "offset_days"),
        allowed_values_check("status", ItemStatus, name="status"),
        allowed_values_check("kind", ReminderKind, name="kind"),
        allowed_values_check("rule_code", _RULE_CODES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable name of the obligation, e.g. "report-monthly:2025-03:unit:17"
    obligation_key: Mapped[str] = mapped_column(String(200), index=True)
    rule_code: Mapped[str] = mapped_column(String(60))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: days before the obligation's last day (0 = on the day; negative = an escalation that many days after)
    offset_days: Mapped[int] = mapped_column(Integer)
    #: "reminder" or "escalation"
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: the working day it is planned for, and when (UTC) it may go out
    send_on: Mapped[dt.date] = mapped_column(Date)
    scheduled_at: Mapped[dt.datetime] = mapped_column(index=True)
    #: what the e-mail says, fixed when the item is planned (Vietnamese)
    title: Mapped[str] = mapped_column(String(300))
    obligor_name: Mapped[str] = mapped_column(String(300))
    period_label: Mapped[str] = mapped_column(String(100))
    supervisor_name: Mapped[str | None] = mapped_column(String(300))
    #: the plan's date ("trước ngày …"); None for limits counted in working days
    before: Mapped[dt.date | None] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    link: Mapped[str] = mapped_column(String(500))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    #: why it was cancelled, skipped or superseded
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()

    recipient: Mapped[User] = relationship()
    message: Mapped[OutboxMessage | None] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<OutboxItem {self.obligation_key} → {self.recipient_id} {self.offset_days:+d} {self.status}>"


class OutboxMessage(Base):
    """One e-mail to one person. Its content is rendered from its live items when it is sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (allowed_values_check("status", MessageStatus, name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(200))
    to_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: the Message-ID header, fixed at creation so a resend after a crash carries the same one
    message_id_header: Mapped[str] = mapped_column(String(250), unique=True)
    subject: Mapped[str | None] = mapped_column(Text)
    #: a notice written once (a reorganisation's, for instance), sent as it is rather than rendered from items
    body: Mapped[str | None] = mapped_column(Text)
    #: what such a notice is about, for this person ("reorganisation:3:user:17"): nobody is told twice
    notice_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column()
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    failed_at: Mapped[dt.datetime | None] = mapped_column()

    recipient: Mapped[User] = relationship()
    items: Mapped[list[OutboxItem]] = relationship(back_populates="message", order_by="OutboxItem.id")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} → {self.to_address} {self.status} attempts={self.attempts}>"


class CalendarDay(Base):
    """A day the government (or the province) made a day off or a working day, against the usual calendar."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    #: True: a working day (a make-up Saturday); False: a day off (a swapped bridge day)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column()


class DeadlineOverride(Base):
    """A province's or district's own date, period or reminder offsets for one deadline rule in one year."""

    __tablename__ = "deadline_overrides"
    __table_args__ = (
        UniqueConstraint("authority_unit_id", "year", "rule_code"),
        allowed_values_check("rule_code", _RULE_CODES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the province or district whose plan sets it; it applies to the units below it
    authority_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    rule_code: Mapped[str] = mapped_column(String(60))
    #: `workflow.deadlines.Schedule.to_dict()`; None keeps the rule's
    schedule: Mapped[dict[str, Any] | None] = mapped_column()
    enabled: Mapped[bool | None] = mapped_column(Boolean)
    working_days: Mapped[int | None] = mapped_column(Integer)
    reminder_offsets: Mapped[list[Any] | None] = mapped_column()
    escalation_offsets: Mapped[list[Any] | None] = mapped_column()
    #: the plan that says so, e.g. "KH 13/KH-UBND ngày 02/02/2024 của UBND huyện Yên Thế"
    source: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column()

    authority_unit: Mapped[Unit] = relationship()
