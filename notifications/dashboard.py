"""The dashboard of an area: the progress figures of `dossiers.dashboard` and the area's deadlines coming
and overdue, from the same obligations the reminders are sent for (`notifications.obligations`).

`dashboard()` is the one function the page, the .xlsx export (and the API) read, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dossiers.dashboard import Progress, progress
from dossiers.models import Unit
from notifications.obligations import Obligation, open_obligations
from workflow.calendar import local_date
from workflow.vocabulary import RecognitionLevel

#: deadlines whose last day falls within this many days from today are "coming"
COMING_DAYS = 30


@dataclass(frozen=True)
class Deadline:
    """One open obligation as the dashboard lists it: who owes what, by when, who is reminded."""

    obligation: Obligation
    days_left: int
    overdue: bool

    @property
    def owed_by(self) -> str:
        return self.obligation.obligor_name

    @property
    def reminded(self) -> str:
        return ", ".join(person.name for person in self.obligation.remind) or "—"

    @property
    def status(self) -> str:
        if self.overdue:
            return f"Quá hạn {-self.days_left} ngày" if self.days_left < 0 else "Quá hạn"
        if self.days_left == 0:
            return "Hạn cuối hôm nay"
        return f"Còn {self.days_left} ngày"


@dataclass
class Dashboard:
    progress: Progress
    today: dt.date
    overdue: list[Deadline]
    coming: list[Deadline]

    @property
    def overdue_dossier_ids(self) -> set[int]:
        """Dossiers owing something past its last day: the page marks them wherever they show."""
        return {d.obligation.dossier_id for d in self.overdue if d.obligation.dossier_id is not None}

    def overdue_for(self, dossier_id: int) -> list[Deadline]:
        return [d for d in self.overdue if d.obligation.dossier_id == dossier_id]


def dashboard(
    session: Session,
    area: Unit,
    year: int,
    now: dt.datetime,
    level: RecognitionLevel = RecognitionLevel.COMMUNE_NTM,
    coming_days: int = COMING_DAYS,
) -> Dashboard:
    """Everything the dashboard of `area` shows for `year`, at `now`: a fixed number of queries."""
    today = local_date(now)
    found = open_obligations(session, years=[year], today=today, within=area)
    overdue, coming = [], []
    horizon = today + dt.timedelta(days=coming_days)
    for obligation in found:
        entry = Deadline(obligation, obligation.days_left(today), obligation.is_overdue(now))
        if entry.overdue:
            overdue.append(entry)
        elif obligation.last_day <= horizon:
            coming.append(entry)
    overdue.sort(key=lambda d: (d.obligation.last_day, d.owed_by))
    return Dashboard(progress=progress(session, area, year, level), today=today, overdue=overdue, coming=coming)


@dataclass(frozen=True)
class Figure:
    """One headline number: `key` names it for machines (the page's data attribute, the export's column)."""

    key: str
    label: str
    value: int | float | None


def figures(board: Dashboard) -> list[Figure]:
    """The headline numbers, in the order the page and the export show them."""
    p = board.progress
    found = [
        Figure("communes", "Số xã trên địa bàn", p.communes),
        Figure("communes-with-dossier", "Số xã có hồ sơ trong năm", len(p.rows_with_dossier)),
        Figure("criteria-met", "Tổng số tiêu chí đạt", p.criteria_met_total),
        Figure("average-met", "Bình quân tiêu chí đạt/xã (xã có hồ sơ)", _rounded(p.average_met)),
        Figure("target-average", "Mục tiêu bình quân tiêu chí/xã", p.target.value if p.target else None),
        Figure("dossiers", "Tổng số hồ sơ của năm trên địa bàn", p.dossiers_total),
        Figure("awaiting-decision", "Hồ sơ chờ quyết định công nhận", len(p.awaiting_decision)),
        Figure("deadlines-overdue", "Việc quá hạn", len(board.overdue)),
        Figure("deadlines-coming", f"Việc đến hạn trong {COMING_DAYS} ngày tới", len(board.coming)),
        Figure("dossiers-overdue", "Hồ sơ có việc quá hạn", len(board.overdue_dossier_ids)),
    ]
    return found


def _rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


@dataclass(frozen=True)
class DeadlineGroup:
    """Deadlines of one rule and period falling on one day: one line on the page, however many owe it."""

    title: str
    period_label: str
    last_day: dt.date
    status: str
    overdue: bool
    owed_by: tuple[str, ...]
    dossier_ids: tuple[int, ...]


def grouped(deadlines: list[Deadline]) -> list[DeadlineGroup]:
    groups: dict[tuple[str, str, dt.date], list[Deadline]] = {}
    for entry in deadlines:
        o = entry.obligation
        groups.setdefault((o.title, o.period_label, o.last_day), []).append(entry)
    return [
        DeadlineGroup(
            title=title,
            period_label=period,
            last_day=last_day,
            status=entries[0].status,
            overdue=entries[0].overdue,
            owed_by=tuple(e.owed_by for e in entries),
            dossier_ids=tuple(e.obligation.dossier_id for e in entries if e.obligation.dossier_id is not None),
        )
        for (title, period, last_day), entries in groups.items()
    ]
