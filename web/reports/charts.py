"""Two small charts drawn on the server as SVG geometry (no script, no inline style: the CSP forbids both).

- `status_chart`: one bar per status of a period's reports (on time, late, missing, not yet due).
- `indicator_chart`: a watched indicator's monthly values with its threshold as a dashed line.
The tables beside them carry the same facts in text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from dossiers.models import WatchedIndicator, WatchedValue
from workflow.reporting import REPORT_STATUS_LABELS, ReportStatus, StatusCount
from workflow.thresholds import parse_threshold

STATUS_COLOURS: dict[ReportStatus, str] = {
    ReportStatus.ON_TIME: "#2f6b2f",
    ReportStatus.LATE: "#8a5a00",
    ReportStatus.MISSING: "#b3261e",
    ReportStatus.NOT_DUE: "#9aa39a",
}
STATUS_ORDER = (ReportStatus.ON_TIME, ReportStatus.LATE, ReportStatus.MISSING, ReportStatus.NOT_DUE)
MET_COLOUR, BELOW_COLOUR, LINE_COLOUR, THRESHOLD_COLOUR = "#2f6b2f", "#b3261e", "#1f5f99", "#8a5a00"


@dataclass(frozen=True)
class StatusBar:
    label: str
    y: float
    width: float
    colour: str
    count: int


@dataclass(frozen=True)
class StatusChart:
    width: int
    height: int
    label_width: int
    bars: tuple[StatusBar, ...]
    title: str
    description: str


def status_chart(count: StatusCount, period_label: str) -> StatusChart:
    label_width, plot, bar, gap = 150, 300, 18, 8
    values = {
        ReportStatus.ON_TIME: count.on_time,
        ReportStatus.LATE: count.late,
        ReportStatus.MISSING: count.missing,
        ReportStatus.NOT_DUE: count.not_due,
    }
    scale = max(count.total, 1)
    bars = tuple(
        StatusBar(REPORT_STATUS_LABELS[status], 10 + i * (bar + gap), plot * values[status] / scale,
                  STATUS_COLOURS[status], values[status])
        for i, status in enumerate(STATUS_ORDER)
    )  # fmt: skip
    description = (
        f"Kỳ {period_label}: {count.on_time} đúng hạn, {count.late} nộp muộn, {count.missing} chưa nộp (quá hạn), "
        f"{count.not_due} chưa đến hạn, trên {count.total} đơn vị."
    )
    return StatusChart(
        width=label_width + plot + 40,
        height=10 + len(bars) * (bar + gap) + 4,
        label_width=label_width,
        bars=bars,
        title=f"Tình hình nộp báo cáo kỳ {period_label}",
        description=description,
    )


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    colour: str
    title: str


@dataclass(frozen=True)
class IndicatorChart:
    width: int
    height: int
    points: tuple[Point, ...]
    polyline: str
    threshold_y: float | None
    threshold_label: str
    months: tuple[tuple[float, str], ...]
    ticks: tuple[tuple[float, str], ...]
    left: int
    bottom: float
    title: str
    description: str


def indicator_chart(indicator: WatchedIndicator, values: Mapping[dt.date, WatchedValue], year: int) -> IndicatorChart:
    """Twelve months of `year` across, 0-100 % (or 0 to the largest value) up, the threshold dashed."""
    left, top, width, height = 34, 10, 300, 110
    threshold = parse_threshold(indicator.threshold)
    highest = max([*(v.value for v in values.values()), threshold.number if threshold else 0.0, 1.0])
    scale = 100.0 if indicator.measure == "percentage" else highest * 1.1
    step = width / 11

    def y_of(value: float) -> float:
        return top + height - height * min(value, scale) / scale

    points = []
    for month in sorted(values):
        if month.year != year:
            continue
        value = values[month]
        x = left + (month.month - 1) * step
        points.append(
            Point(x, y_of(value.value), MET_COLOUR if value.met else BELOW_COLOUR,
                  f"Tháng {month:%m/%Y}: {value.text} — {'đạt' if value.met else 'dưới ngưỡng'}")
        )  # fmt: skip
    below = sum(1 for p in points if p.colour == BELOW_COLOUR)
    description = (
        f"{indicator.name}, năm {year}: {len(points)} tháng có số liệu, {below} tháng dưới ngưỡng "
        f"{indicator.threshold}."
    )
    return IndicatorChart(
        width=left + width + 16,
        height=top + height + 24,
        points=tuple(points),
        polyline=" ".join(f"{p.x:.1f},{p.y:.1f}" for p in points),
        threshold_y=y_of(threshold.number) if threshold is not None else None,
        threshold_label=indicator.threshold,
        months=tuple((left + (m - 1) * step, str(m)) for m in range(1, 13)),
        ticks=tuple((y_of(v), f"{v:g}") for v in (0.0, scale / 2, scale)),
        left=left,
        bottom=top + height,
        title=f"{indicator.name} theo tháng, năm {year}",
        description=description,
    )
