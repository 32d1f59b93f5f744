"""Notices written once: everyone a reorganisation affects is told, once, by e-mail through the outbox.

`dossiers.reorganisation` lists, per person, what concerns them (their department ends, their commune
merges, a dossier they hold moves); this queues one e-mail per person, keyed so that running it again
tells nobody twice. The scheduler's delivery sends them like reminders.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import Reorganisation, User
from notifications.models import MessageStatus, OutboxMessage
from notifications.rendering import sender_domain


def queue_notice(
    session: Session, user: User, *, subject: str, body: str, notice_key: str, now: dt.datetime, domain: str
) -> None:
    """Queue one e-mail to `user`, keyed by `notice_key` (unique: the same notice is never queued twice)."""
    session.add(
        OutboxMessage(
            recipient_id=user.id,
            to_address=user.email,
            to_name=user.full_name,
            status=MessageStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            message_id_header=f"<ntm.{uuid.uuid4().hex}@{domain}>",
            subject=subject,
            body=body,
            notice_key=notice_key,
            created_at=now,
        )
    )


def reorganisation_notice_key(reorganisation: Reorganisation, user_id: int) -> str:
    return f"reorganisation:{reorganisation.id}:user:{user_id}"


def queue_reorganisation_notices(
    session: Session, reorganisation: Reorganisation, now: dt.datetime, *, sender: str, base_url: str
) -> int:
    """One e-mail per person listed by the reorganisation (each once); flushes; returns how many were queued."""
    notices = reorganisation.changes.get("notices") or []
    keys = {reorganisation_notice_key(reorganisation, n["user_id"]) for n in notices}
    known = set(session.scalars(select(OutboxMessage.notice_key).where(OutboxMessage.notice_key.in_(keys))))
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([n["user_id"] for n in notices])))}
    domain = sender_domain(sender)
    queued = 0
    for notice in notices:
        key = reorganisation_notice_key(reorganisation, notice["user_id"])
        user = users.get(notice["user_id"])
        if key in known or user is None or not user.active:
            continue
        lines = "\n".join(f"- {line}" for line in notice["lines"])
        body = (
            f"Kính gửi {user.full_name},\n\n"
            f"{reorganisation.name} có hiệu lực từ ngày {reorganisation.effective_on:%d/%m/%Y} "
            f"({reorganisation.basis}). Những thay đổi liên quan đến đồng chí:\n\n{lines}\n\n"
            f"Xem việc của đồng chí: {base_url.rstrip('/')}/viec-cua-toi\n\n"
            "Thư này được gửi tự động từ hệ thống Hồ sơ nông thôn mới, xin đừng trả lời thư này.\n"
        )
        queue_notice(
            session,
            user,
            subject=(
                f"Sắp xếp đơn vị hành chính từ {reorganisation.effective_on:%d/%m/%Y}: thay đổi liên quan đến đồng chí"
            ),
            body=body,
            notice_key=key,
            now=now,
            domain=domain,
        )
        queued += 1
    session.flush()
    return queued
