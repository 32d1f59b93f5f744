"""Watched indicators: the list a province keeps per year, the communes' monthly values, and alert episodes.

Seed 000 asks the communes to check some indicators every month "so that they still hold at the end of
the year". The list is data (`dossiers/data/watch/*.yaml`, loaded per authority and year with its source
and how sure we are of each threshold). A value is read and judged by `workflow.measures` (the same rule
as a dossier's self-assessment).

Alerts are episodes, not nights: an episode opens with the first month below the threshold and closes
with the next month that meets it (`sync_episodes`). `notifications.watch_alerts` tells the owning
department and the commune once per episode, keyed by `WatchEpisode.key`; recovering and falling again
opens a new episode and so a new alert.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.access import person_of
from dossiers.models import (
    CriteriaSet,
    Criterion,
    Indicator,
    Ownership,
    PeriodicReport,
    Unit,
    User,
    WatchedIndicator,
    WatchedValue,
    WatchEpisode,
)
from dossiers.territory import Territory, load_territory
from workflow import permissions
from workflow.calendar import local_date
from workflow.errors import NotPermitted, WorkflowError
from workflow.measures import InvalidValue, measured_met, read_value
from workflow.vocabulary import Confidence, Measure, UnitKind


class WatchError(WorkflowError):
    """A watched value or a watch list that cannot be recorded; the message says why, in Vietnamese."""

    code: ClassVar[str] = "watch_invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)

    @property
    def params(self) -> dict[str, Any]:
        return {"field": self.field, "detail": self.message}


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_label(month: dt.date) -> str:
    return f"{month:%m/%Y}"


def episode_key(unit_id: int, indicator: WatchedIndicator, first_month: dt.date) -> str:
    """ "watch:<unit>:<indicator code>:<YYYY-MM>": unique per episode, so one alert per episode."""
    return f"watch:{unit_id}:{indicator.code}:{first_month:%Y-%m}"


# --- the list ------------------------------------------------------------------------------------------


def builtin_watch_files() -> list[Path]:
    folder = importlib.resources.files("dossiers") / "data" / "watch"
    return sorted(Path(str(item)) for item in folder.iterdir() if item.name.endswith(".yaml"))


def load_watch_file(session: Session, path: Path) -> list[WatchedIndicator]:
    """Load (or update) an authority's watch list from a YAML file, for each year it names; flushes."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = data["authority"]
        kind = UnitKind(spec.get("kind", UnitKind.PROVINCE))
        years = [int(year) for year in data["years"]]
        entries = list(data["indicators"])
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise WatchError(f"{path.name}: tệp danh sách chỉ tiêu theo dõi không hợp lệ ({exc})") from None
    authority = session.scalars(select(Unit).where(Unit.kind == kind, Unit.code == str(spec["code"]))).first()
    if authority is None:
        raise WatchError(f"{path.name}: không có đơn vị {kind} mã {spec['code']}; hãy nạp danh mục đơn vị trước")
    existing = {
        (row.year, row.code): row
        for row in session.scalars(
            select(WatchedIndicator).where(
                WatchedIndicator.authority_unit_id == authority.id, WatchedIndicator.year.in_(years)
            )
        )
    }
    loaded: list[WatchedIndicator] = []
    for position, entry in enumerate(entries):
        try:
            measure = Measure(entry["measure"])
            threshold = str(entry["threshold"])
            confidence = Confidence(entry["confidence"])
        except (KeyError, ValueError) as exc:
            raise WatchError(f"{path.name}: chỉ tiêu {entry.get('code')!r} thiếu hoặc sai {exc}") from None
        if measure not in (Measure.PERCENTAGE, Measure.NUMBER):
            raise WatchError(f"{path.name}: chỉ tiêu {entry['code']} phải đo bằng tỷ lệ hoặc số lượng")
        if measured_met(read_value(measure, "0"), threshold) is None:
            raise WatchError(f"{path.name}: ngưỡng {threshold!r} của chỉ tiêu {entry['code']} không so sánh được")
        for year in years:
            row = existing.get((year, str(entry["code"])))
            if row is None:
                row = WatchedIndicator(authority_unit_id=authority.id, year=year, code=str(entry["code"]))
                session.add(row)
            row.name = str(entry["name"])
            row.measure = measure.value
            row.threshold = threshold
            row.criteria_set_code = entry.get("criteria_set")
            row.indicator_code = str(entry["indicator"]) if entry.get("indicator") is not None else None
            row.source = " ".join(str(entry["source"]).split())[:300]
            row.confidence = confidence.value
            row.position = position
            loaded.append(row)
    session.flush()
    return loaded


def watch_list(session: Session, territory: Territory, unit_id: int, year: int) -> list[WatchedIndicator]:
    """The indicators a unit reports in `year`: the list of its nearest authority that has one."""
    chain = territory.authority_chain(unit_id)
    if not chain:
        return []
    rows = session.scalars(
        select(WatchedIndicator)
        .where(WatchedIndicator.authority_unit_id.in_(chain), WatchedIndicator.year == year)
        .order_by(WatchedIndicator.position, WatchedIndicator.id)
    ).all()
    by_authority: dict[int, list[WatchedIndicator]] = defaultdict(list)
    for row in rows:
        by_authority[row.authority_unit_id].append(row)
    for authority_id in reversed(chain):  # the nearest authority's list wins
        if by_authority.get(authority_id):
            return by_authority[authority_id]
    return []


# --- values --------------------------------------------------------------------------------------------


def read_watched(indicator: WatchedIndicator, text: str) -> tuple[float, bool]:
    """A typed value as a number and whether it meets the threshold; `WatchError` when it cannot be read."""
    try:
        reading = read_value(Measure(indicator.measure), text, code=indicator.name)
    except InvalidValue as exc:
        raise WatchError(str(exc), field=indicator.code) from None
    met = measured_met(reading, indicator.threshold)
    if reading.number is None or met is None:  # the list's loader checked the threshold: not reached
        raise WatchError(f"{indicator.name}: không so sánh được với ngưỡng {indicator.threshold}", field=indicator.code)
    return reading.number, met


def record_watched_values(
    session: Session,
    actor: User,
    now: dt.datetime,
    *,
    unit: Unit,
    month: dt.date,
    values: dict[int, str],
    report: PeriodicReport | None = None,
) -> list[WatchedValue]:
    """Record the unit's values of `month` (watched indicator id → text; blank texts are skipped); flushes.

    Every value is read first: one bad value records nothing. The unit's officers (or chairman) record
    their unit's values, admins any; a month after the current one is refused. Recording a month again
    replaces its value. The unit's alert episodes follow at once (`sync_episodes`).
    """
    if not permissions.may_report(person_of(actor), unit_id=unit.id, department_id=None):
        raise NotPermitted(
            "ghi số liệu chỉ tiêu theo dõi", f"{actor.full_name} không phụ trách báo cáo của {unit.name}"
        )
    month = first_of_month(month)
    if month > first_of_month(local_date(now)):
        raise WatchError(f"Tháng {month_label(month)} chưa đến: chỉ ghi số liệu của tháng này hoặc trước đó.", "thang")
    territory = load_territory(session, [unit.id])
    indicators = {row.id: row for row in watch_list(session, territory, unit.id, month.year)}
    readings: dict[int, tuple[str, float, bool]] = {}
    errors: list[str] = []
    for indicator_id, text in values.items():
        if not text.strip():
            continue
        indicator = indicators.get(indicator_id)
        if indicator is None:
            errors.append(f"chỉ tiêu số {indicator_id} không có trong danh sách theo dõi năm {month.year}")
            continue
        try:
            number, met = read_watched(indicator, text)
        except WatchError as exc:
            errors.append(exc.message)
            continue
        readings[indicator_id] = (text.strip()[:40], number, met)
    if errors:
        raise WatchError("; ".join(errors))
    existing = {
        row.watched_indicator_id: row
        for row in session.scalars(
            select(WatchedValue).where(
                WatchedValue.unit_id == unit.id,
                WatchedValue.month == month,
                WatchedValue.watched_indicator_id.in_(list(readings)),
            )
        )
    }
    recorded: list[WatchedValue] = []
    for indicator_id, (text, number, met) in readings.items():
        row = existing.get(indicator_id)
        if row is None:
            row = WatchedValue(watched_indicator_id=indicator_id, unit_id=unit.id, month=month)
            session.add(row)
        row.text, row.value, row.met = text, number, met
        row.recorded_at, row.recorded_by_id = now, actor.id
        if report is not None:
            row.report_id = report.id
        recorded.append(row)
    session.flush()
    sync_episodes(session, now, pairs={(indicator_id, unit.id) for indicator_id in readings})
    return recorded


@dataclass(frozen=True)
class Series:
    """One unit's values of one indicator over a year, for the table and the chart."""

    indicator: WatchedIndicator
    values: dict[dt.date, WatchedValue]

    @property
    def latest(self) -> WatchedValue | None:
        return self.values[max(self.values)] if self.values else None


def series_of(
    session: Session, indicators: Sequence[WatchedIndicator], unit_ids: Iterable[int]
) -> dict[tuple[int, int], dict[dt.date, WatchedValue]]:
    """(indicator id, unit id) → month → value, for the indicators and units given; one query."""
    found: dict[tuple[int, int], dict[dt.date, WatchedValue]] = defaultdict(dict)
    ids = [row.id for row in indicators]
    units = list(unit_ids)
    if not ids or not units:
        return found
    rows = session.scalars(
        select(WatchedValue)
        .where(WatchedValue.watched_indicator_id.in_(ids), WatchedValue.unit_id.in_(units))
        .order_by(WatchedValue.month)
    ).all()
    for row in rows:
        found[row.watched_indicator_id, row.unit_id][row.month] = row
    return found


# --- episodes ------------------------------------------------------------------------------------------


def _runs(values: Sequence[tuple[dt.date, bool]]) -> list[tuple[dt.date, dt.date | None]]:
    """(first month below, first month that met again or None) for each run of months below, in order."""
    runs: list[tuple[dt.date, dt.date | None]] = []
    start: dt.date | None = None
    for month, met in values:
        if not met and start is None:
            start = month
        elif met and start is not None:
            runs.append((start, month))
            start = None
    if start is not None:
        runs.append((start, None))
    return runs


def sync_episodes(session: Session, now: dt.datetime, pairs: set[tuple[int, int]] | None = None) -> list[WatchEpisode]:
    """Bring the episodes of (indicator id, unit id) `pairs` (all when None) in line with the values; flushes.

    A run of months below the threshold is an episode; the one still running stays the same episode
    while values are added or corrected (no second alert for the same fall). A run that ended before it
    was ever seen is recorded closed (it alerts nobody). An open episode whose months were corrected to
    meet the threshold is closed (if it alerted) or forgotten (if it did not yet). Returns the open ones.
    """
    value_query = select(WatchedValue.watched_indicator_id, WatchedValue.unit_id, WatchedValue.month, WatchedValue.met)
    episode_query = select(WatchEpisode)
    if pairs is not None:
        if not pairs:
            return []
        indicator_ids = {i for i, _ in pairs}
        unit_ids = {u for _, u in pairs}
        value_query = value_query.where(
            WatchedValue.watched_indicator_id.in_(indicator_ids), WatchedValue.unit_id.in_(unit_ids)
        )
        episode_query = episode_query.where(
            WatchEpisode.watched_indicator_id.in_(indicator_ids), WatchEpisode.unit_id.in_(unit_ids)
        )
    series: dict[tuple[int, int], list[tuple[dt.date, bool]]] = defaultdict(list)
    for indicator_id, unit_id, month, met in session.execute(value_query.order_by(WatchedValue.month)).all():
        if pairs is None or (indicator_id, unit_id) in pairs:
            series[indicator_id, unit_id].append((month, met))
    episodes: dict[tuple[int, int], list[WatchEpisode]] = defaultdict(list)
    for episode in session.scalars(episode_query.order_by(WatchEpisode.first_month)).all():
        episodes[episode.watched_indicator_id, episode.unit_id].append(episode)
    indicators = {
        row.id: row
        for row in session.scalars(
            select(WatchedIndicator).where(WatchedIndicator.id.in_({i for i, _ in series} | {i for i, _ in episodes}))
        )
    }
    still_open: list[WatchEpisode] = []
    for pair in set(series) | set(episodes):
        indicator_id, unit_id = pair
        known = {episode.first_month: episode for episode in episodes.get(pair, [])}
        open_known = [episode for episode in episodes.get(pair, []) if episode.recovered_month is None]
        matched: set[int] = set()
        for first, recovered in _runs(series.get(pair, [])):
            found = known.get(first)
            if found is None and recovered is None and open_known:
                found = open_known[-1]  # the same fall, its first month corrected: not a new alert
            if found is not None:
                episode = found
            else:
                episode = WatchEpisode(
                    key=episode_key(unit_id, indicators[indicator_id], first),
                    watched_indicator_id=indicator_id,
                    unit_id=unit_id,
                    first_month=first,
                    opened_at=now,
                    note=None if recovered is None else "đã đạt lại trước khi được theo dõi: không cảnh báo",
                )
                session.add(episode)
            if episode.recovered_month != recovered:
                episode.recovered_month = recovered
            matched.add(id(episode))
            if recovered is None:
                still_open.append(episode)
        for episode in open_known:
            if id(episode) in matched:
                continue
            if episode.alerted_at is None:
                session.delete(episode)
            else:
                later = [month for month, met in series.get(pair, []) if met and month > episode.first_month]
                episode.recovered_month = later[0] if later else _next_month(episode.first_month)
                episode.note = "số liệu được sửa: tháng này không còn dưới ngưỡng"
    session.flush()
    return still_open


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def owning_department_ids_for(
    session: Session, territory: Territory, indicators: Sequence[WatchedIndicator], unit_ids: Iterable[int]
) -> dict[tuple[int, int], list[int]]:
    """(indicator id, unit id) → the departments owning the indicator for that unit: those of the nearest
    authority whose ownership table for the year names it. Three queries whatever the number of units."""
    wanted = {(row.criteria_set_code, row.indicator_code) for row in indicators if row.indicator_code is not None}
    units = list(unit_ids)
    if not wanted or not units:
        return {}
    chains = {unit_id: territory.authority_chain(unit_id) for unit_id in units}
    authorities = {a for chain in chains.values() for a in chain}
    years = {row.year for row in indicators}
    rows = session.execute(
        select(Ownership.authority_unit_id, Ownership.year, Ownership.department_id, CriteriaSet.code, Indicator.code)
        .join(Indicator, Indicator.id == Ownership.indicator_id)
        .join(Criterion, Criterion.id == Indicator.criterion_id)
        .join(CriteriaSet, CriteriaSet.id == Criterion.criteria_set_id)
        .where(
            Ownership.authority_unit_id.in_(authorities),
            Ownership.year.in_(years),
            Indicator.code.in_({code for _, code in wanted}),
        )
        .order_by(Ownership.department_id)
    ).all()
    owners: dict[tuple[int, int, str, str], list[int]] = defaultdict(list)
    for authority_id, year, department_id, set_code, code in rows:
        if department_id not in owners[authority_id, year, set_code, code]:
            owners[authority_id, year, set_code, code].append(department_id)
    found: dict[tuple[int, int], list[int]] = {}
    for indicator in indicators:
        if indicator.indicator_code is None or indicator.criteria_set_code is None:
            continue
        for unit_id in units:
            for authority_id in reversed(chains[unit_id]):
                departments = owners.get(
                    (authority_id, indicator.year, indicator.criteria_set_code, indicator.indicator_code)
                )
                if departments:
                    found[indicator.id, unit_id] = departments
                    break
    return found
