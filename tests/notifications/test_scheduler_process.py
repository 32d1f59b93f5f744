"""The scheduler as a real process: killed mid-batch and restarted, or started twice by mistake, every due
reminder reaches the SMTP server exactly once.

The processes run `python -m notifications.scheduler` (what `ntm scheduler` runs) against a database
of their own, with the clock moved to 12/9/2025 08:00 in Hanoi by time-machine (ticking from there).
They scan every TICK seconds; the tests poll for what they wait for, and where nothing more may
happen they watch a few more scans go by in the log instead of sleeping a fixed time.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dossiers.db import make_engine
from notifications.models import ItemStatus, MessageStatus, OutboxItem, OutboxMessage
from tests.notifications.smtp_server import Mailbox, running_smtp
from tests.notifications.world import at, build_world

REPO = Path(__file__).resolve().parents[2]
START = at(dt.date(2025, 9, 12), 8)
COMMUNES = ("Lê Lai", "Đức Long", "Đức Xuân", "Lê Lợi", "Vân Trình", "Canh Tân", "Thái Cường", "Minh Khai")
OFFICERS = 3
#: each officer of a district commune: the dossier (before 20/9), the Q3 report, the September report;
#: the commune without a district: its Q3 and September reports. One e-mail each (digest off).
EXPECTED = len(COMMUNES) * OFFICERS * 3 + 2
#: seconds between two scans of a test scheduler (NTM_SCHEDULER_INTERVAL)
TICK = "0.25"
#: what the log says at the end of each scan of the leader, and on each tick of a standby
SCANNED = " ntm.notifications.scheduler: tick "
STANDING_BY = "another scheduler leads; standing by"

# time-machine moves the clock of the child process only; the code under test reads it as usual
WRAPPER = """
import datetime as dt, sys
import time_machine
time_machine.travel(dt.datetime.fromisoformat(sys.argv[1]), tick=True).start()
from notifications.scheduler import main
main(sys.argv[2:])
"""


@pytest.fixture
def engine(isolated_database_url: str) -> Iterator[Engine]:
    engine = make_engine(isolated_database_url)
    with Session(engine) as session:
        build_world(session, START, communes=COMMUNES, officers_per_commune=OFFICERS)
        session.commit()
    yield engine
    engine.dispose()


class Scheduler:
    """One `python -m notifications.scheduler` child process and its log."""

    def __init__(self, name: str, database_url: str, smtp_port: int, tmp_path: Path, start: dt.datetime) -> None:
        self.log_path = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "MAIL_TIMEOUT": "20",
            "NTM_INSTANCE_PATH": str(tmp_path / "instance"),
            "NTM_REMINDER_DIGEST": "0",
            "NTM_SCHEDULER_INTERVAL": TICK,
            "PYTHONPATH": str(REPO),
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WRAPPER, start.isoformat()],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def count(self, line: str) -> int:
        return self.log.count(line)

    def watch(self, line: str, more: int) -> None:
        """Wait until the log shows `line` `more` times again (e.g. scans that must change nothing)."""
        seen = self.count(line)
        wait_for(
            lambda: self.count(line) >= seen + more, 30, f"{more} more {line.strip()!r} in {self.log_path.name}", self
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def wait_for(condition: Callable[[], bool], timeout: float, what: str, *logs: Scheduler) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for scheduler in logs:
            if scheduler.process.poll() is not None and scheduler.process.returncode not in (0, -signal.SIGKILL):
                pytest.fail(f"scheduler exited with {scheduler.process.returncode}:\n{scheduler.log}")
        time.sleep(0.1)
    details = "\n".join(f"--- {s.log_path.name}\n{s.log[-4000:]}" for s in logs)
    pytest.fail(f"timed out waiting for {what}\n{details}")


def statuses(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        return Counter(session.scalars(select(OutboxMessage.status)).all())


def all_sent(engine: Engine) -> bool:
    found = statuses(engine)
    return found[MessageStatus.SENT] == EXPECTED and sum(found.values()) == EXPECTED


def assert_each_reminder_arrived_once(mailbox: Mailbox, engine: Engine) -> None:
    arrived = Counter((r.rcpt_tos[0], str(r.message["Subject"])) for r in mailbox.received)
    assert len(mailbox.received) == EXPECTED
    assert set(arrived.values()) == {1}
    with Session(engine) as session:
        items = Counter(session.scalars(select(OutboxItem.status)).all())
        # the rest are reminders of earlier days, recorded as skipped on this first run
        assert items[ItemStatus.SENT] == EXPECTED and set(items) == {ItemStatus.SENT, ItemStatus.SKIPPED}
        headers = set(session.scalars(select(OutboxMessage.message_id_header)).all())
    assert {str(r.message["Message-ID"]) for r in mailbox.received} == headers


def test_a_scheduler_killed_mid_batch_and_restarted_delivers_each_reminder_once(
    engine: Engine, isolated_database_url: str, tmp_path: Path
) -> None:
    held, release, done_holding = threading.Event(), threading.Event(), threading.Event()

    def hold_the_twentieth(number: int) -> str | None:
        # the 20th message stays in DATA until the test has killed its sender; then it is not accepted
        if number == 20 and not done_holding.is_set():
            done_holding.set()
            held.set()
            release.wait(30)
            return "451 4.4.2 Connection dropped"
        return None

    mailbox = Mailbox(before_accept=hold_the_twentieth)
    with running_smtp(mailbox) as smtp:
        first = Scheduler("first", isolated_database_url, smtp.port, tmp_path, START)
        try:
            wait_for(held.is_set, 60, "the 20th message", first)
            first.kill()
        finally:
            release.set()
            first.stop()
        assert mailbox.count() == 19
        midway = statuses(engine)
        assert midway[MessageStatus.SENT] == 19 and midway[MessageStatus.SENDING] == 1
        assert midway[MessageStatus.PENDING] == EXPECTED - 20

        second = Scheduler("second", isolated_database_url, smtp.port, tmp_path, START + dt.timedelta(minutes=1))
        try:
            wait_for(lambda: all_sent(engine) and mailbox.count() >= EXPECTED, 90, "every reminder", second)
            second.watch(SCANNED, 3)  # a few more scans: nothing else may go out
        finally:
            assert second.stop() == 0, second.log
    assert_each_reminder_arrived_once(mailbox, engine)
    assert "1 half-sent message(s) put back" in second.log
    with Session(engine) as session:
        resent = session.scalars(select(OutboxMessage).where(OutboxMessage.attempts == 2)).all()
        assert len(resent) == 1 and resent[0].status == MessageStatus.SENT


def test_two_schedulers_started_at_once_send_each_reminder_once(
    engine: Engine, isolated_database_url: str, tmp_path: Path
) -> None:
    mailbox = Mailbox()
    with running_smtp(mailbox) as smtp:
        pair = [Scheduler(name, isolated_database_url, smtp.port, tmp_path, START) for name in ("a", "b")]
        try:
            wait_for(lambda: all_sent(engine) and mailbox.count() >= EXPECTED, 90, "every reminder", *pair)
            leaders = [s for s in pair if "this scheduler leads" in s.log]
            assert len(leaders) == 1, [s.log for s in pair]
            (standby,) = [s for s in pair if s is not leaders[0]]
            # a few more scans of the leader while the standby keeps standing by: nothing else goes out
            leaders[0].watch(SCANNED, 3)
            standby.watch(STANDING_BY, 1)
            assert "this scheduler leads" not in standby.log
            # the leader dies: the standby takes over (and has nothing left to send)
            leaders[0].kill()
            wait_for(lambda: "this scheduler leads" in standby.log, 30, "the standby to lead", standby)
            standby.watch(SCANNED, 3)
        finally:
            for scheduler in pair:
                scheduler.stop()
    assert_each_reminder_arrived_once(mailbox, engine)
    lock = "PostgreSQL advisory lock" if engine.dialect.name == "postgresql" else "file lock"
    assert lock in standby.log
