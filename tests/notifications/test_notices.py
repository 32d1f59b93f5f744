"""Everyone a reorganisation affects is told once, by e-mail through the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.demo import DemoData, apply_demo_reform
from notifications.jobs import compose_messages, deliver_outbox
from notifications.models import MessageStatus, OutboxMessage
from notifications.notices import queue_reorganisation_notices
from tests.demo_database import CHEAP_HASH_METHOD, DemoWorld
from tests.notifications.test_reminders import RecordingTransport

NOW = dt.datetime(2025, 7, 1, 1, 0, tzinfo=dt.UTC)
SENDER = "NTM <no-reply@ntm.local>"


def test_each_person_is_told_once(session: Session, demo: DemoData, demo_world: DemoWorld) -> None:
    record = apply_demo_reform(session, demo, hash_method=CHEAP_HASH_METHOD)
    notices = record.changes["notices"]
    told = queue_reorganisation_notices(session, record, NOW, sender=SENDER, base_url="https://ntm.example")
    assert told == len(notices) > 10
    assert queue_reorganisation_notices(session, record, NOW, sender=SENDER, base_url="https://ntm.example") == 0
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.notice_key.is_not(None))).all()
    assert len(messages) == len({m.recipient_id for m in messages}) == told

    compose_messages(session, NOW, digest=True, sender=SENDER)  # a notice has no items: it is not cancelled
    transport = RecordingTransport()
    report = deliver_outbox(session, transport, NOW, sender=SENDER, max_attempts=3)
    assert report.sent == told and report.cancelled == 0
    to_officer = next(m for m in transport.sent if m["To"].addresses[0].username == "phong.tn-mt")
    text = to_officer.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Từ 01/07/2025 Phòng Tài nguyên và Môi trường không còn thẩm tra" in text
    assert "Sở Nông nghiệp và Môi trường" in text and "https://ntm.example/viec-cua-toi" in text
    assert "Sắp xếp đơn vị hành chính từ 01/07/2025" in to_officer["Subject"]
    assert all(m.status == MessageStatus.SENT for m in messages)
