"""Part (c): queries and wall time of "Việc của tôi" and of the dossier page, called directly with a session.

Who is measured, in the focus province (the same at every size, see `dataset.focus_province`):
the province's coordinator, the officer of Công an tỉnh (`so-ca`: it owns indicator 19.2 and confirms
the security condition, so it has open tasks and conditions to confirm), and the officer of the first
xã whose dossier is in self-assessment. The dossier page is the first dossier under appraisal of the
province, seen by that `so-ca` officer (it has a task to answer there). Each page is built in a fresh
session (nothing cached from the previous call), three times; the figures are the median time and the
statements of the last call (the count does not change between calls).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench import dataset as ds
from dossiers.access import load_actor
from dossiers.context import DossierContext
from dossiers.models import Dossier, Unit, User
from web.workspace.pages import dossier_page, my_work
from workflow import permissions

REPEATS = 3
ROLES = ("coordinator", "department", "commune")
DEPARTMENT = "so-ca"


@dataclass(frozen=True)
class PageFigure:
    page: str
    role: str
    queries: int
    ms: float
    #: rows the page lists (actionable + open tasks + own dossiers; for the dossier page its audit events)
    rows: int


def _measure(
    factory: sessionmaker[Session], counter: list[int], build: Callable[[Session], int]
) -> tuple[int, float, int]:
    times, queries, rows = [], 0, 0
    for _ in range(REPEATS):
        with factory() as session:
            before, t0 = counter[0], time.perf_counter()
            rows = build(session)
            times.append(time.perf_counter() - t0)
            queries = counter[0] - before
            session.rollback()
    return queries, 1000 * statistics.median(times), rows


def measure(
    factory: sessionmaker[Session], counter: list[int], focus: str, now: dt.datetime = ds.NOW
) -> list[PageFigure]:
    with factory() as session:
        province = session.scalars(select(Unit).where(Unit.code == focus, Unit.kind == "province")).one()
        in_province = (
            select(Dossier.id, Unit.code)
            .join(Unit, Unit.id == Dossier.unit_id)
            .where(Dossier.authority_unit_id == province.id, Dossier.year == ds.YEAR)
            .order_by(Dossier.id)
        )
        commune = session.execute(in_province.where(Dossier.state == "self_assessment")).first()
        appraised = session.execute(in_province.where(Dossier.state == "under_appraisal")).first()
        if commune is None or appraised is None:
            raise LookupError(f"province {focus} has no dossier in self-assessment or under appraisal")
        usernames = {
            "coordinator": ds.coordinator(focus),
            "department": ds.department_officer(focus, DEPARTMENT),
            "commune": ds.commune_officer(str(commune[1])),
        }
        ids = {
            username: user_id
            for username, user_id in session.execute(
                select(User.username, User.id).where(User.username.in_(usernames.values()))
            )
        }
    figures = []
    for role in ROLES:
        user_id = ids[usernames[role]]

        def work(session: Session, user_id: int = user_id) -> int:
            found = my_work(session, session.get_one(User, user_id), now)
            return len(found.actionable) + len(found.open_tasks) + len(found.own_dossiers)

        figures.append(PageFigure("my-work", role, *_measure(factory, counter, work)))

    def page(session: Session) -> int:
        """As the web request does: the dossier, the reader and the read check, then the page."""
        user = session.get_one(User, ids[usernames["department"]])
        context = DossierContext(session, session.get_one(Dossier, appraised[0]), load_actor(session, user, now), now)
        if not permissions.may_view(context.actor, context.view_seats):
            raise PermissionError("the department officer may not read the dossier")
        built = dossier_page(context)
        return len(built.events)

    figures.append(PageFigure("dossier-page", "department", *_measure(factory, counter, page)))
    return figures


def as_dict(figures: list[PageFigure]) -> dict[str, Any]:
    return {f"{f.page}-{f.role}": {"queries": f.queries, "ms": f.ms, "rows": f.rows} for f in figures}
