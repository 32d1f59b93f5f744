"""Part (d): the scheduler's scan and the obligations list, at each size (issue #13).

On the dataset as built, at `SCAN_AT` (12/9/2025, 08:00 in Vietnam: the September and Q3 reports and the
20/9 submission are near, appraisals and decisions are running):

- **first scan**: `plan_reminders` on a database with no stored obligation yet: `reconcile` stores every
  obligation of 2025 (units' reports, departments', dossiers' milestones, open tasks, steps waiting),
  then the reminders due are planned; committed.
- **scan**: the next scan, as the scheduler runs it every minute (reconcile finds nothing to change,
  plans nothing new); rolled back, three times, median.
- **list**: `open_obligations(years=[2025])` over the whole country, what `ntm deadlines list --year 2025`
  and the API read; three times in a fresh session, median.

Statements are counted on the engine (`engine_rate.count_statements`); an executemany counts once per
batch the driver sends.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from notifications.jobs import plan_reminders
from notifications.obligations import open_obligations
from workflow.calendar import local_date, local_time
from workflow.deadlines import ReminderPolicy

SCAN_AT = local_time(dt.date(2025, 9, 12), dt.time(8, 0))
REPEATS = 3
BASE_URL = "https://ntm.example.vn"


@dataclass(frozen=True)
class ObligationFigures:
    first_scan_queries: int
    first_scan_s: float
    scan_queries: int
    scan_s: float
    list_queries: int
    list_s: float
    #: open obligations of 2025 listed, reminders the first scan planned
    open_obligations: int
    planned: int


def measure(factory: sessionmaker[Session], counter: list[int]) -> ObligationFigures:
    policy = ReminderPolicy()
    with factory() as session:
        before, t0 = counter[0], time.perf_counter()
        report = plan_reminders(session, SCAN_AT, policy=policy, base_url=BASE_URL)
        session.commit()
        first = (counter[0] - before, time.perf_counter() - t0)
    scans, lists = [], []
    listed = 0
    for attempt in range(REPEATS):
        with factory() as session:
            before, t0 = counter[0], time.perf_counter()
            plan_reminders(session, SCAN_AT + dt.timedelta(minutes=1 + attempt), policy=policy, base_url=BASE_URL)
            scans.append((counter[0] - before, time.perf_counter() - t0))
            session.rollback()
        with factory() as session:
            before, t0 = counter[0], time.perf_counter()
            listed = len(open_obligations(session, years=[2025], today=local_date(SCAN_AT)))
            lists.append((counter[0] - before, time.perf_counter() - t0))
            session.rollback()
    return ObligationFigures(
        first_scan_queries=first[0],
        first_scan_s=first[1],
        scan_queries=scans[-1][0],
        scan_s=statistics.median(s for _, s in scans),
        list_queries=lists[-1][0],
        list_s=statistics.median(s for _, s in lists),
        open_obligations=listed,
        planned=report.created,
    )


def as_dict(size: int, figures: ObligationFigures) -> dict[str, float | int]:
    """The `name: value` lines of one size."""
    return {
        f"obligations-first-scan-queries-{size}": figures.first_scan_queries,
        f"obligations-first-scan-s-{size}": round(figures.first_scan_s, 2),
        f"obligations-scan-queries-{size}": figures.scan_queries,
        f"obligations-scan-s-{size}": round(figures.scan_s, 2),
        f"obligations-list-queries-{size}": figures.list_queries,
        f"obligations-list-s-{size}": round(figures.list_s, 2),
        f"obligations-open-{size}": figures.open_obligations,
    }
