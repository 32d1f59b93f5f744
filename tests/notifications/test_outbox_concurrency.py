"""Without the leader lock (a misconfiguration), two senders racing over one outbox still send each e-mail once:
a message is claimed (pending → sending) by one conditional UPDATE before it is sent."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from email.message import Message

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.db import make_engine
from notifications.jobs import compose_messages, deliver_outbox, plan_reminders
from notifications.models import MessageStatus, OutboxMessage
from tests.notifications.world import at, build_world
from workflow.deadlines import ReminderPolicy

NOW = at(dt.date(2025, 9, 12), 8)
SENDER = "NTM Dossiers <no-reply@ntm.local>"


class SlowTransport:
    """Takes a little time per message, so two senders overlap."""

    def __init__(self, shared: Counter[str], lock: threading.Lock) -> None:
        self.shared, self.lock = shared, lock
        self.sent = 0

    def send(self, message: Message) -> None:
        time.sleep(0.01)
        with self.lock:
            self.shared[str(message["Message-ID"])] += 1
        self.sent += 1

    def close(self) -> None:
        return None


def test_two_senders_never_send_the_same_message(isolated_database_url: str) -> None:
    engine = make_engine(isolated_database_url)
    try:
        with Session(engine) as session:
            build_world(session, NOW, communes=tuple(f"Xã thử {n}" for n in range(10)), officers_per_commune=2)
            plan_reminders(session, NOW, policy=ReminderPolicy(digest=False), base_url="http://ntm.test")
            queued = compose_messages(session, NOW, digest=False, sender=SENDER)
            session.commit()
        assert queued == 10 * 2 * 3 + 2

        delivered: Counter[str] = Counter()
        lock = threading.Lock()
        errors: list[BaseException] = []

        transports = [SlowTransport(delivered, lock) for _ in range(2)]

        def sender(transport: SlowTransport) -> None:
            try:
                with Session(engine) as session:
                    deliver_outbox(session, transport, NOW, sender=SENDER, max_attempts=3)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=sender, args=(transport,)) for transport in transports]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert len(delivered) == queued and set(delivered.values()) == {1}
        assert all(transport.sent > 0 for transport in transports)  # they did race
        with Session(engine) as session:
            assert set(session.scalars(select(OutboxMessage.status)).all()) == {MessageStatus.SENT}
    finally:
        engine.dispose()
