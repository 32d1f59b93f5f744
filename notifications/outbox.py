"""What administrators see of the outbox: recent and failed e-mails, and a retry after a fix."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dossiers.access import is_admin
from dossiers.models import User
from notifications.models import ItemStatus, MessageStatus, OutboxMessage
from workflow.errors import NotPermitted, WorkflowError


class NotRetryableError(WorkflowError):
    """Only a failed e-mail can be sent again."""


def list_messages(session: Session, *, status: MessageStatus | None = None, limit: int = 50) -> list[OutboxMessage]:
    """The most recent e-mails (newest first), optionally only those in `status`."""
    query = select(OutboxMessage).options(selectinload(OutboxMessage.items)).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query.limit(limit)).all())


def failed_messages(session: Session, *, limit: int = 100) -> list[OutboxMessage]:
    return list_messages(session, status=MessageStatus.FAILED, limit=limit)


def retry_message(session: Session, actor: User, now: dt.datetime, message_id: int) -> OutboxMessage:
    """Queue a failed e-mail again, to the recipient's current address; flushes. Admins only."""
    if not is_admin(actor):
        raise NotPermitted("gửi lại thư", "chỉ quản trị hệ thống được gửi lại thư")
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotRetryableError(f"Không có thư #{message_id}.")
    if message.status != MessageStatus.FAILED:
        raise NotRetryableError(f"Thư #{message_id} đang ở trạng thái {message.status}, không phải thư lỗi.")
    recipient = message.recipient
    message.to_address, message.to_name = recipient.email, recipient.full_name
    message.status = MessageStatus.PENDING.value
    message.attempts = 0
    message.next_attempt_at = now
    message.failed_at = None
    message.last_error = f"gửi lại theo yêu cầu của {actor.username}; lỗi trước: {message.last_error}"
    for item in message.items:
        if item.status == ItemStatus.FAILED:
            item.status, item.updated_at = ItemStatus.QUEUED.value, now
    session.flush()
    return message
