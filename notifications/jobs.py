"""The scheduler's jobs. Each takes `now`, so tests run a whole year in seconds.

- `plan_reminders` reconciles the stored obligations (`dossiers.planning.obligations.reconcile`), turns
  today's due reminders of the open ones into outbox items (one row per obligation, person and offset,
  unique), and cancels live items of obligations now met.
- `compose_messages` groups the items whose time has come into e-mails (a digest per person,
  or one e-mail per item).
- `deliver_outbox` sends them. It is a transaction boundary, like a web request: it commits the
  claim of each message before talking to the SMTP server and its outcome right after, so a
  process killed mid-batch leaves at most the message it was sending in "sending"; the next
  leader puts it back (`recover_orphans`) and sends it again with the same Message-ID.

plan and compose only flush; their caller commits them together.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from dossiers.models import User
from dossiers.planning.obligations import reconcile
from dossiers.planning.rules import RuleBook, load_calendar
from dossiers.territory import load_whole_territory
from notifications.models import (
    LIVE_ITEM_STATUSES,
    ItemStatus,
    MessageStatus,
    OutboxItem,
    OutboxMessage,
)
from notifications.obligations import Obligation, open_obligations, reminder_window
from notifications.rendering import render_email, render_notice, sender_domain
from notifications.transport import PermanentDeliveryError, TemporaryDeliveryError, Transport
from workflow.calendar import WorkingCalendar, local_date, local_time
from workflow.deadlines import PlannedReminder, ReminderKind, ReminderPolicy, due_now, reminder_schedule

log = logging.getLogger("ntm.notifications.jobs")

#: first retry after a temporary failure, doubling each time up to the cap
RETRY_BASE = dt.timedelta(minutes=2)
RETRY_CAP = dt.timedelta(hours=6)


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 2, 4, 8 … minutes, at most 6 hours."""
    return min(RETRY_BASE * (1 << min(max(attempts - 1, 0), 20)), RETRY_CAP)


@dataclass
class PlanReport:
    obligations: int = 0
    created: int = 0
    skipped: int = 0
    superseded: int = 0
    cancelled: int = 0
    messages_cancelled: int = 0


def _new_item(
    obligation: Obligation,
    person_id: int,
    planned: PlannedReminder,
    status: ItemStatus,
    now: dt.datetime,
    *,
    policy: ReminderPolicy,
    base_url: str,
    reason: str | None = None,
) -> OutboxItem:
    return OutboxItem(
        obligation_key=obligation.key,
        rule_code=obligation.rule.code,
        recipient_id=person_id,
        offset_days=planned.offset,
        kind=planned.kind.value,
        status=status.value,
        send_on=planned.send_on,
        scheduled_at=local_time(planned.send_on, policy.send_at),
        title=obligation.title,
        obligor_name=obligation.obligor_name,
        period_label=obligation.period_label,
        supervisor_name=obligation.supervisor_name,
        before=obligation.occurrence.before if obligation.has_plan_date else None,
        last_day=obligation.last_day,
        link=f"{base_url.rstrip('/')}{obligation.link_path}",
        dossier_id=obligation.dossier_id,
        reason=reason,
        created_at=now,
        updated_at=now,
    )


@dataclass(slots=True)
class _Recorded:
    """An item of a stream as the scan needs it: its offset, and whether it may still go out (not sent, not
    in the hands of the sender). Items made by this scan have no id yet."""

    id: int | None
    offset: int
    live: bool


def _retire_items(session: Session, retired: dict[int, tuple[ItemStatus, str]], now: dt.datetime) -> None:
    """Superseded, skipped or cancelled items: one UPDATE by primary key per status."""
    if not retired:
        return
    by_status: dict[ItemStatus, list[dict[str, object]]] = defaultdict(list)
    for item_id, (status, reason) in retired.items():
        by_status[status].append({"id": item_id, "status": status.value, "reason": reason, "updated_at": now})
    for rows in by_status.values():
        session.execute(update(OutboxItem), rows)
    # objects of those items already in the session must not show their old status
    for held in list(session.identity_map.values()):
        if isinstance(held, OutboxItem) and held.id in retired:
            session.expire(held)


def plan_reminders(
    session: Session,
    now: dt.datetime,
    *,
    policy: ReminderPolicy,
    base_url: str,
    calendar: WorkingCalendar | None = None,
) -> PlanReport:
    """Write today's due reminders into the outbox and cancel those of obligations no longer open; flushes.

    Idempotent: running it again at the same `now` (or a minute later) adds nothing. After downtime
    it catches up by `workflow.deadlines.due_now`: the most recent missed reminder of each
    obligation, if recent enough; the older ones are recorded as skipped.
    """
    today = local_date(now)
    calendar = calendar or load_calendar(session)
    book = RuleBook.load(session)
    window = reminder_window(today, policy, book)
    years = range(window[0].year, window[1].year + 1)
    # obligations are domain data: bring the stored rows up to date, then read the open ones
    territory = load_whole_territory(session)
    reconcile(session, now, years=years, calendar=calendar, book=book, territory=territory)
    obligations = open_obligations(session, years=years, today=today, window=window, rulebook=book, territory=territory)
    report = PlanReport(obligations=len(obligations))
    open_by_key = {o.key: o for o in obligations}

    # what is recorded of each stream, as plain rows (a national scan sees tens of thousands of items)
    existing = session.execute(
        select(
            OutboxItem.id,
            OutboxItem.obligation_key,
            OutboxItem.recipient_id,
            OutboxItem.kind,
            OutboxItem.offset_days,
            OutboxItem.status,
            OutboxMessage.status,
        )
        .outerjoin(OutboxMessage, OutboxMessage.id == OutboxItem.message_id)
        .where(OutboxItem.last_day >= window[0], OutboxItem.last_day <= window[1])
    ).all()
    by_stream: dict[tuple[str, int, str], list[_Recorded]] = defaultdict(list)
    for item_id, key, recipient_id, kind, offset, status, message_status in existing:
        may_go = status in LIVE_ITEM_STATUSES and message_status in (None, MessageStatus.PENDING)
        by_stream[key, recipient_id, kind].append(_Recorded(item_id, offset, may_go))
    retired: dict[int, tuple[ItemStatus, str]] = {}

    def retire(record: _Recorded, status: ItemStatus, reason: str) -> None:
        if record.id is not None:
            retired[record.id] = (status, reason)
        record.live = False

    created: list[OutboxItem] = []
    schedules: dict[tuple[dt.date, tuple[int, ...], tuple[int, ...]], list[PlannedReminder]] = {}
    for obligation in obligations:
        offsets = obligation.rule.reminder_offsets if obligation.rule.reminder_offsets is not None else policy.offsets
        escalations = (
            obligation.rule.escalation_offsets
            if obligation.rule.escalation_offsets is not None
            else policy.escalation_offsets
        )
        schedule_key = (obligation.last_day, tuple(offsets), tuple(escalations))
        planned = schedules.get(schedule_key)
        if planned is None:
            # thousands of obligations share a last day (every commune's monthly report): plan it once
            planned = schedules[schedule_key] = reminder_schedule(obligation.last_day, calendar, offsets, escalations)
        streams = (
            (ReminderKind.REMINDER, [p for p in planned if p.kind == ReminderKind.REMINDER], obligation.remind),
            (
                ReminderKind.ESCALATION,
                [p for p in planned if p.kind == ReminderKind.ESCALATION],
                obligation.escalate_to,
            ),
        )
        for kind, stream, people in streams:
            if not stream or stream[0].send_on > today:
                continue  # nothing of it is due yet, for anyone: `due_now` would say so person by person
            for person in people:
                recorded = by_stream[obligation.key, person.id, kind.value]
                decision = due_now(
                    stream,
                    today,
                    (i.offset for i in recorded),
                    policy.catch_up_days,
                    last_day=obligation.last_day if kind == ReminderKind.REMINDER else None,
                )
                for missed in decision.skip:
                    item = _new_item(
                        obligation,
                        person.id,
                        missed,
                        ItemStatus.SKIPPED,
                        now,
                        policy=policy,
                        base_url=base_url,
                        reason="không gửi: lỡ lịch khi hệ thống ngừng, đã có nhắc nhở mới hơn hoặc đã quá cũ",
                    )
                    created.append(item)
                    recorded.append(_Recorded(None, missed.offset, False))
                    report.skipped += 1
                if decision.send is None:
                    continue
                for older in recorded:
                    if older.live:
                        retire(older, ItemStatus.SUPERSEDED, "đã có nhắc nhở mới hơn cho cùng việc")
                        report.superseded += 1
                item = _new_item(
                    obligation, person.id, decision.send, ItemStatus.PENDING, now, policy=policy, base_url=base_url
                )
                created.append(item)
                recorded.append(_Recorded(None, decision.send.offset, False))
                report.created += 1

    _insert_items(session, created)
    for (key, recipient_id, stream_kind), records in by_stream.items():
        live = [record for record in records if record.id is not None and record.live]
        if not live:
            continue
        still_open = open_by_key.get(key)
        if still_open is None:
            reason = "nghĩa vụ đã được đáp ứng hoặc không còn áp dụng"
        elif stream_kind == ReminderKind.REMINDER and still_open.last_day < today:
            # not delivered before the deadline passed (mail server down): the escalation takes over
            for record in live:
                retire(record, ItemStatus.SKIPPED, "chưa gửi được trước hạn cuối; đã chuyển báo cáo vượt cấp")
                report.skipped += 1
            continue
        else:
            people = still_open.remind if stream_kind == ReminderKind.REMINDER else still_open.escalate_to
            if any(person.id == recipient_id for person in people):
                continue
            reason = "người nhận không còn phụ trách việc này"
        for record in live:
            retire(record, ItemStatus.CANCELLED, reason)
            report.cancelled += 1
    _retire_items(session, retired, now)
    session.flush()
    report.messages_cancelled = _cancel_empty_messages(session, now)
    session.flush()
    return report


_ITEM_COLUMNS = tuple(column.key for column in OutboxItem.__table__.columns if column.key != "id")


def _insert_items(session: Session, items: list[OutboxItem]) -> None:
    """The new items in one executemany (not one INSERT per item): a scan's statements do not grow with the
    reminders it plans. The unique (obligation, recipient, offset) key still refuses a second copy."""
    if items:
        rows = [{column: getattr(item, column) for column in _ITEM_COLUMNS} for item in items]
        session.execute(insert(OutboxItem).execution_options(render_nulls=True), rows)


def _cancel_empty_messages(session: Session, now: dt.datetime) -> int:
    messages = session.scalars(
        select(OutboxMessage)
        .options(selectinload(OutboxMessage.items))
        .where(OutboxMessage.status == MessageStatus.PENDING)
        .execution_options(populate_existing=True)
    ).all()
    cancelled = 0
    for message in messages:
        if message.body is None and not any(item.status == ItemStatus.QUEUED for item in message.items):
            message.status = MessageStatus.CANCELLED
            message.last_error = "mọi nội dung đã được hủy trước khi gửi"
            cancelled += 1
    return cancelled


def compose_messages(session: Session, now: dt.datetime, *, digest: bool, sender: str) -> int:
    """Group the pending items whose time has come into e-mails; flushes; returns how many e-mails.

    Digest: one e-mail per person per run listing all their items; otherwise one per item.
    """
    items = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.status == ItemStatus.PENDING, OutboxItem.scheduled_at <= now)
        .order_by(OutboxItem.recipient_id, OutboxItem.scheduled_at, OutboxItem.id)
    ).all()
    groups: list[list[OutboxItem]] = []
    if digest:
        by_person: dict[int, list[OutboxItem]] = defaultdict(list)
        for item in items:
            by_person[item.recipient_id].append(item)
        groups = list(by_person.values())
    else:
        groups = [[item] for item in items]
    domain = sender_domain(sender)
    for group in groups:
        recipient = session.get(User, group[0].recipient_id)
        if recipient is None:
            continue
        message = OutboxMessage(
            recipient_id=recipient.id,
            to_address=recipient.email,
            to_name=recipient.full_name,
            status=MessageStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            message_id_header=f"<ntm.{uuid.uuid4().hex}@{domain}>",
            created_at=now,
        )
        session.add(message)
        for item in group:
            item.status = ItemStatus.QUEUED.value
            item.message = message
            item.updated_at = now
    session.flush()
    return len(groups)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    #: the SMTP server could not be used; the remaining messages wait for the next run
    interrupted: bool = False


def _fail(message: OutboxMessage, items: Iterable[OutboxItem], error: str, now: dt.datetime) -> None:
    message.status = MessageStatus.FAILED.value
    message.last_error = error
    message.failed_at = now
    for item in items:
        item.status, item.updated_at = ItemStatus.FAILED.value, now


def _claim(session: Session, message_id: int, now: dt.datetime) -> bool:
    """pending → sending, atomically: of two senders racing for a message, one gets it."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.SENDING.value, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    claimed = getattr(result, "rowcount", 0) == 1
    session.commit()
    return claimed


def deliver_outbox(
    session: Session,
    transport: Transport,
    now: dt.datetime,
    *,
    sender: str,
    max_attempts: int,
    limit: int | None = None,
) -> DeliveryReport:
    """Send every message due at `now`, committing each claim and each outcome (see the module doc).

    4xx or a lost connection: retried after `retry_delay`, failed after `max_attempts`; a lost
    connection also ends the batch. 5xx: failed at once, listed by `ntm outbox failed`.
    """
    report = DeliveryReport()
    handled = 0
    while limit is None or handled < limit:
        due_ids = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(50)
        ).all()
        session.commit()
        if not due_ids:
            break
        for message_id in due_ids:
            if limit is not None and handled >= limit:
                break
            if not _claim(session, message_id, now):
                continue
            handled += 1
            if not _deliver_one(session, transport, message_id, now, sender, max_attempts, report):
                report.interrupted = True
                return report
    return report


def _deliver_one(
    session: Session,
    transport: Transport,
    message_id: int,
    now: dt.datetime,
    sender: str,
    max_attempts: int,
    report: DeliveryReport,
) -> bool:
    """Send one claimed message and commit the outcome; False when the batch should stop."""
    message = session.scalars(
        select(OutboxMessage)
        .options(selectinload(OutboxMessage.items))
        .where(OutboxMessage.id == message_id)
        .execution_options(populate_existing=True)
    ).one()
    items = [item for item in message.items if item.status == ItemStatus.QUEUED]
    if not items and message.body is None:
        message.status = MessageStatus.CANCELLED.value
        report.cancelled += 1
        session.commit()
        return True
    keep_going = True
    try:
        if message.body is not None:
            email = render_notice(message, sender=sender, now=now)
        else:
            email = render_email(message, items, sender=sender, now=now)
        message.subject = email.subject
        transport.send(email.message)
    except TemporaryDeliveryError as exc:
        if message.attempts >= max_attempts:
            _fail(message, items, f"bỏ sau {message.attempts} lần thử: {exc.message}", now)
            report.failed += 1
        else:
            message.status = MessageStatus.PENDING.value
            message.next_attempt_at = now + retry_delay(message.attempts)
            message.last_error = exc.message
            report.retried += 1
        keep_going = not exc.connection
        log.warning("message %s to %s not delivered (temporary): %s", message.id, message.to_address, exc.message)
    except PermanentDeliveryError as exc:
        _fail(message, items, exc.message, now)
        report.failed += 1
        log.error("message %s to %s refused for good: %s", message.id, message.to_address, exc.message)
    except Exception as exc:  # a bug while rendering or sending: visible to admins, not a stuck message
        log.exception("message %s could not be sent", message.id)
        _fail(message, items, f"lỗi hệ thống khi gửi: {exc!r}", now)
        report.failed += 1
    else:
        message.status = MessageStatus.SENT.value
        message.sent_at = now
        for item in items:
            item.status, item.updated_at = ItemStatus.SENT.value, now
        report.sent += 1
    session.commit()
    return keep_going


def recover_orphans(session: Session, now: dt.datetime) -> int:
    """Put back messages a dead sender left in "sending"; flushes. Only a new leader calls this.

    Such a message may or may not have reached the SMTP server before the process died: it is
    sent again with the same Message-ID (at least once rather than never).
    """
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.SENDING)
        .values(
            status=MessageStatus.PENDING.value,
            next_attempt_at=now,
            last_error="tiến trình gửi thư dừng giữa chừng; gửi lại",
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0))
