"""The benchmark's part (d) on a tiny dataset: it runs, stores the year's obligations, and reports the same
statements for a scan whatever the dataset (no timing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from bench import obligations
from bench.dataset import NOW, build_dataset
from dossiers.models import ObligationRecord


def test_the_scan_and_the_list_are_measured(
    session: Session, session_factory: sessionmaker[Session], connection: Connection
) -> None:
    build_dataset(session, communes=20, provinces=1, now=NOW)
    session.commit()
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(connection, "before_cursor_execute", count)
    try:
        figures = obligations.measure(session_factory, counter)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    stored = session.scalar(select(func.count(ObligationRecord.id)).where(ObligationRecord.year == 2025))
    assert stored is not None and stored >= figures.open_obligations > 20  # every xã's reports, at least
    assert figures.planned > 0  # 12/9/2025: the September and Q3 reports are near
    # (the test's sessions open a SAVEPOINT each, which this counter sees too)
    assert 0 < figures.scan_queries <= figures.first_scan_queries <= 26
    assert 0 < figures.list_queries <= 10
    names = obligations.as_dict(20, figures)
    assert names["obligations-scan-queries-20"] == figures.scan_queries
