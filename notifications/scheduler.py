"""The scheduler process (`ntm scheduler`): APScheduler as a ticker, a leader lock, one idempotent scan.

Deadlines and reminders are rows in our tables; APScheduler only calls `Ticker.tick` every
`scheduler_interval` seconds. Policy (docs/deadlines.md):

- one job, id "ntm-reminders", `replace_existing=True`, `coalesce=True`, `max_instances=1`,
  `misfire_grace_time=None`: a late run (machine asleep, a long batch) runs once as soon as it
  can, missed runs are never replayed one by one. The job store is in memory: nothing about
  deadlines lives in APScheduler, so a restart loses nothing.
- catch-up after downtime is the scan's job, not APScheduler's: each tick works out from the
  tables what is due as of now (`plan_reminders`), so the first tick after a restart sends what
  was missed, once.
- leader lock: a PostgreSQL session-level advisory lock held on a dedicated connection (released
  by the server if the process dies), or on SQLite a file lock next to the database file. A
  process that does not hold it stays on standby and tries again each tick; two processes started
  by mistake never both plan or send. The new leader first puts back messages a dead leader left
  half-sent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import make_engine, make_session_factory
from dossiers.planning.rules import load_calendar
from dossiers.settings import Settings
from notifications.jobs import compose_messages, deliver_outbox, plan_reminders, recover_orphans
from notifications.rules import policy_from_settings
from notifications.transport import Transport, transport_from_settings
from notifications.watch_alerts import queue_watch_alerts
from workflow.calendar import LOCAL_TZ

log = logging.getLogger("ntm.notifications.scheduler")

JOB_ID = "ntm-reminders"
#: a stable 63-bit key for pg_try_advisory_lock, the same in every process
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"ntm-dossiers:scheduler-leader").digest()[:8], "big") >> 1


class LeaderLock(Protocol):
    #: for the log: what kind of lock, and where
    description: str

    def acquire(self) -> bool:
        """Take the lock if free; True when this process holds it (already or now)."""

    def held(self) -> bool:
        """Whether this process still holds it (a lost database connection loses it)."""

    def release(self) -> None: ...


class PostgresAdvisoryLock:
    """A session-level advisory lock on a connection kept open for the process's lifetime."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self.engine, self.key = engine, key
        self._connection: Connection | None = None
        self.description = f"PostgreSQL advisory lock {key}"

    def acquire(self) -> bool:
        if self.held():
            return True
        self._close()
        connection = self.engine.connect()
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """A session-level advisory lock lasts as long as its session: a live connection still holds it."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except Exception:
            log.warning("lost the database connection holding the leader lock", exc_info=True)
            self._close()
            return False
        return True

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # the connection is already broken; the server released the lock with it
                log.debug("closing the lock connection failed", exc_info=True)

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self._connection.commit()
            except Exception:
                log.debug("unlocking failed; closing the connection releases the lock", exc_info=True)
        self._close()


class FileLeaderLock:
    """An exclusive file lock (SQLite deployments: one machine); the OS frees it if the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path))
        self.description = f"file lock {path}"

    def acquire(self) -> bool:
        if self._lock.is_locked:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def held(self) -> bool:
        return bool(self._lock.is_locked)

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)


def leader_lock_for(engine: Engine, settings: Settings) -> LeaderLock:
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    database = make_url(settings.database_url).database
    if database and database != ":memory:":
        return FileLeaderLock(Path(f"{Path(database).resolve()}.scheduler.lock"))
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    return FileLeaderLock(settings.instance_path / "scheduler.lock")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Ticker:
    """One scan: plan and compose in one transaction, then deliver. Only the leader scans."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        lock: LeaderLock,
        transport_factory: Callable[[], Transport] | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.lock = lock
        self.transport_factory = transport_factory or (lambda: transport_from_settings(settings))
        self.clock = clock
        self.policy = policy_from_settings(settings)
        self.leading = False
        # held for the whole of a tick: `close` waits for a running tick before giving up the lock,
        # so a successor never takes over while this process is still sending
        self._busy = threading.Lock()
        self._closed = False

    def ensure_leader(self) -> bool:
        if self.leading and self.lock.held():
            return True
        if self.leading:
            log.warning("leader lock lost; standing by")
            self.leading = False
        if not self.lock.acquire():
            return False
        self.leading = True
        with self.session_factory() as session:
            recovered = recover_orphans(session, self.clock())
            session.commit()
        log.info("this scheduler leads%s", f"; {recovered} half-sent message(s) put back" if recovered else "")
        return True

    def tick(self) -> None:
        with self._busy:
            if self._closed:
                return
            self._tick()

    def _tick(self) -> None:
        if not self.ensure_leader():
            log.info("another scheduler leads; standing by")
            return
        now = self.clock()
        with self.session_factory() as session:
            calendar = load_calendar(session)
            plan = plan_reminders(session, now, policy=self.policy, base_url=self.settings.base_url, calendar=calendar)
            composed = compose_messages(session, now, digest=self.policy.digest, sender=self.settings.mail_sender)
            # watched indicators below their threshold: one e-mail per person per episode, in the same commit
            watched = queue_watch_alerts(
                session, now, sender=self.settings.mail_sender, base_url=self.settings.base_url
            )
            session.commit()
        transport = self.transport_factory()
        try:
            with self.session_factory() as session:
                delivery = deliver_outbox(
                    session,
                    transport,
                    now,
                    sender=self.settings.mail_sender,
                    max_attempts=self.settings.mail_max_attempts,
                )
        finally:
            transport.close()
        log.info(
            "tick %s: %d open obligation(s) in view, %d reminder(s) planned, %d skipped, %d cancelled; "
            "%d e-mail(s) composed, %d watched-indicator alert(s), %d sent, %d to retry, %d failed",
            now.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
            plan.obligations,
            plan.created,
            plan.skipped,
            plan.cancelled,
            composed,
            watched,
            delivery.sent,
            delivery.retried,
            delivery.failed,
        )

    def close(self) -> None:
        """Wait for a running tick, then give up the leader lock."""
        with self._busy:
            self._closed = True
            self.lock.release()
            self.leading = False


def _log_job_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("run of %s at %s was missed", event.job_id, event.scheduled_run_time)
    elif event.exception is not None:
        log.error("run of %s failed: %r", event.job_id, event.exception, exc_info=event.exception)


def build_scheduler(ticker: Ticker, interval_seconds: float) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=LOCAL_TZ,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    scheduler.add_job(
        ticker.tick,
        "interval",
        seconds=interval_seconds,
        id=JOB_ID,
        name="Nhắc hạn và gửi thư",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=dt.datetime.now(LOCAL_TZ),
    )
    scheduler.add_listener(_log_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def run_scheduler(settings: Settings, *, interval: float | None = None, once: bool = False) -> None:
    """Run until stopped (SIGTERM / Ctrl-C); `once`: a single tick, then exit (for cron and checks)."""
    engine = make_engine(settings.database_url, pool_pre_ping=True)
    lock = leader_lock_for(engine, settings)
    ticker = Ticker(settings, make_session_factory(engine), lock)
    try:
        if once:
            ticker.tick()
            return
        seconds = interval or settings.scheduler_interval
        scheduler = build_scheduler(ticker, seconds)
        stopping = threading.Event()

        def stop(signum: int, _frame: FrameType | None) -> None:
            if not stopping.is_set():
                stopping.set()
                log.info("signal %s: stopping after the current run", signum)
                scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        log.info(
            "scheduler started: one scan every %g s on %s; leader lock: %s",
            seconds,
            engine.url.render_as_string(hide_password=True),
            lock.description,
        )
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            log.info("stopped")
    finally:
        ticker.close()
        engine.dispose()


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # APScheduler logs every run at INFO; ours says what each run did
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    """`python -m notifications.scheduler`: what `ntm scheduler` runs, without loading the web app."""
    parser = argparse.ArgumentParser(prog="python -m notifications.scheduler", description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=None, help="seconds between two scans (fractions allowed)")
    parser.add_argument("--once", action="store_true", help="one scan, then exit")
    args: Any = parser.parse_args(argv)
    configure_logging()
    run_scheduler(Settings.from_env(), interval=args.interval, once=args.once)


if __name__ == "__main__":
    main()
