"""A watched indicator below its threshold alerts the owning department and the commune once per episode.

Drop below → one alert (one e-mail per person); scan again → nothing; recover, drop again → a second alert.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.db import make_engine, make_session_factory
from dossiers.models import WatchedIndicator, WatchedValue, WatchEpisode
from dossiers.planning.watch import WatchError, record_watched_values, sync_episodes
from dossiers.settings import Settings
from notifications.models import OutboxMessage
from notifications.scheduler import Ticker, leader_lock_for
from notifications.watch_alerts import queue_watch_alerts
from tests.notifications.world import World, at, build_world
from workflow.errors import NotPermitted

SENDER = "ntm@thu.ntm.vn"
BASE = "http://ntm.test"


@pytest.fixture
def water(session: Session, world: World) -> WatchedIndicator:
    """The province's watched indicator, owned (in the test world's table) by the district's department."""
    indicator = WatchedIndicator(
        authority_unit_id=world.province.id, year=2025, code="nuoc-sach", name="Tỷ lệ hộ dùng nước sạch",
        measure="percentage", threshold="≥ 65%", criteria_set_code="xa-ntm-thu", indicator_code="2.1",
        source="Seed 000: ≥65%", confidence="verified",
    )  # fmt: skip
    session.add(indicator)
    session.flush()
    return indicator


def _record(session: Session, world: World, water: WatchedIndicator, month: int, text: str) -> None:
    record_watched_values(
        session,
        world.users["xa0.0"],
        at(dt.date(2025, month, 25)),
        unit=world.communes["Lê Lai"],
        month=dt.date(2025, month, 1),
        values={water.id: text},
    )


def _scan(session: Session, month: int, day: int = 26) -> int:
    return queue_watch_alerts(session, at(dt.date(2025, month, day), 7), sender=SENDER, base_url=BASE)


def _alerts(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(OutboxMessage.notice_key, OutboxMessage.to_address)
        .where(OutboxMessage.notice_key.like("watch:%"))
        .order_by(OutboxMessage.id)
    ).all()
    return [(key, address) for key, address in rows]


def test_below_alerts_once_and_again_after_recovering(session: Session, world: World, water: WatchedIndicator) -> None:
    le_lai = world.communes["Lê Lai"]
    _record(session, world, water, 3, "70")
    assert _scan(session, 3) == 0

    _record(session, world, water, 4, "60,5")
    assert _scan(session, 4) == 2  # the owning department's officer and the commune's officer
    first_key = f"watch:{le_lai.id}:nuoc-sach:2025-04"
    assert _alerts(session) == [
        (f"{first_key}:user:{world.users['phong.tckh'].id}", "phong.tckh@thu.ntm.vn"),
        (f"{first_key}:user:{world.users['xa0.0'].id}", "xa0.0@thu.ntm.vn"),
    ]
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.notice_key.like("watch:%"))).first()
    assert message is not None and message.body is not None
    assert "60,5 (tháng 04/2025)" in message.body and "≥ 65%" in message.body
    assert "Phòng Tài chính - Kế hoạch (huyện Thạch An)" in message.body

    # every night after: nothing new, even while it stays below
    assert _scan(session, 4, 27) == 0
    _record(session, world, water, 5, "58")
    assert _scan(session, 5) == 0
    assert _scan(session, 5, 28) == 0

    # it recovers: the episode closes, nobody is told
    _record(session, world, water, 6, "66")
    assert _scan(session, 6) == 0
    episode = session.scalars(select(WatchEpisode).where(WatchEpisode.key == first_key)).one()
    assert episode.recovered_month == dt.date(2025, 6, 1)

    # and falls again: a new episode, a second alert
    _record(session, world, water, 7, "50")
    assert _scan(session, 7) == 2
    second_key = f"watch:{le_lai.id}:nuoc-sach:2025-07"
    assert [key for key, _ in _alerts(session)][2:] == [
        f"{second_key}:user:{world.users['phong.tckh'].id}",
        f"{second_key}:user:{world.users['xa0.0'].id}",
    ]
    assert _scan(session, 7, 28) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 4


def test_a_correction_of_the_same_fall_is_not_a_new_alert(
    session: Session, world: World, water: WatchedIndicator
) -> None:
    _record(session, world, water, 4, "60")
    _record(session, world, water, 5, "61")
    assert _scan(session, 5) == 2
    # April was in fact fine: the fall began in May; still the same episode, nobody is told again
    _record(session, world, water, 4, "66")
    assert _scan(session, 5, 27) == 0
    # and when the whole fall was a typing error, the episode closes
    _record(session, world, water, 5, "67")
    assert _scan(session, 5, 28) == 0
    # closed by the first month that meets it after the month it was opened for (its key keeps April)
    assert session.scalars(select(WatchEpisode.recovered_month)).all() == [dt.date(2025, 5, 1)]


def test_a_fall_that_recovered_before_any_scan_alerts_nobody(
    session: Session, world: World, water: WatchedIndicator
) -> None:
    _record(session, world, water, 2, "50")
    _record(session, world, water, 3, "70")
    assert _scan(session, 3) == 0
    episode = session.scalars(select(WatchEpisode)).one()
    assert episode.first_month == dt.date(2025, 2, 1) and episode.recovered_month == dt.date(2025, 3, 1)
    assert episode.alerted_at is None
    # sync is idempotent (the recording service runs it; running it again changes nothing)
    sync_episodes(session, at(dt.date(2025, 3, 27)))
    assert session.scalar(select(func.count()).select_from(WatchEpisode)) == 1


def test_bad_values_record_nothing(session: Session, world: World, water: WatchedIndicator) -> None:
    for text in ("150", "abc", "-3", "1e999"):
        with pytest.raises(WatchError):
            _record(session, world, water, 4, text)
    with pytest.raises(WatchError, match="chưa đến"):
        record_watched_values(
            session, world.users["xa0.0"], at(dt.date(2025, 4, 25)), unit=world.communes["Lê Lai"],
            month=dt.date(2025, 5, 1), values={water.id: "70"},
        )  # fmt: skip
    with pytest.raises(NotPermitted):
        record_watched_values(
            session, world.users["xa1.0"], at(dt.date(2025, 4, 25)), unit=world.communes["Lê Lai"],
            month=dt.date(2025, 4, 1), values={water.id: "70"},
        )  # fmt: skip
    assert session.scalar(select(func.count()).select_from(WatchedValue)) == 0


def test_a_second_scheduler_that_missed_the_mark_tells_nobody_twice(
    session: Session, world: World, water: WatchedIndicator
) -> None:
    """The outbox key, not the episode's mark, is what guarantees once: a scan that saw the episode unalerted
    (another scheduler's commit not yet visible) finds every person's key taken and queues nothing."""
    _record(session, world, water, 4, "60")
    assert _scan(session, 4) == 2
    episode = session.scalars(select(WatchEpisode)).one()
    episode.alerted_at = None
    session.flush()
    assert _scan(session, 4, 27) == 0
    assert episode.alerted_at is not None
    assert len(_alerts(session)) == 2


def test_the_scheduler_tick_alerts_once_and_delivers(isolated_database_url: str, tmp_path: Path) -> None:
    """The scheduler's own scan (`Ticker.tick`) queues the alerts in its commit and delivers them; the next tick
    sends nothing more."""
    engine = make_engine(isolated_database_url)
    factory = make_session_factory(engine)
    with factory() as session:
        world = build_world(session, at(dt.date(2025, 4, 1)))
        indicator = WatchedIndicator(
            authority_unit_id=world.province.id, year=2025, code="nuoc-sach", name="Nước sạch", measure="percentage",
            threshold="≥ 65%", criteria_set_code="xa-ntm-thu", indicator_code="2.1", source="Seed 000",
            confidence="verified",
        )  # fmt: skip
        session.add(indicator)
        session.flush()
        _record(session, world, indicator, 4, "50")
        session.commit()
    settings = Settings(instance_path=tmp_path / "instance", database_url=isolated_database_url, secret_key="t")
    ticker = Ticker(settings, factory, leader_lock_for(engine, settings), clock=lambda: at(dt.date(2025, 4, 28), 7, 30))
    try:
        ticker.tick()
        ticker.tick()
    finally:
        ticker.close()
    with factory() as session:
        rows = session.execute(
            select(OutboxMessage.status, OutboxMessage.to_address).where(OutboxMessage.notice_key.like("watch:%"))
        ).all()
    engine.dispose()
    assert sorted(rows) == [("sent", "phong.tckh@thu.ntm.vn"), ("sent", "xa0.0@thu.ntm.vn")]
