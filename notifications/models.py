"""What people are told and when, as rows: the outbox (the calendar and deadline data admins set live in
`dossiers.models.deadlines`).

The outbox has two tables. An `OutboxItem` is one reminder of one obligation for one person at one
offset; its unique key (obligation, recipient, offset) is what makes a rerun send nothing twice.
An `OutboxMessage` is one e-mail: one item, or in digest mode every item due for a person in one
run. Delivery state (attempts, next attempt, last error) lives on the message.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dossiers.db import Base, allowed_values_check
from dossiers.models import User
from dossiers.models.deadlines import RULE_CODES
from workflow.deadlines import ReminderKind


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
        allowed_values_check("rule_code", RULE_CODES),
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
