"""The progress chart, drawn on the server as SVG geometry the template writes out: one stacked bar per
commune (criteria met, under appraisal, not met, not assessed) and a line at the plan's average target.
No script, no inline style (the CSP forbids both): colours are presentation attributes."""

from __future__ import annotations

from dataclasses import dataclass

from dossiers.dashboard import STATUS_LABELS, CriterionStatus, Progress

#: colours with a text contrast that holds on white; the legend and the table carry the same facts in text
COLOURS: dict[CriterionStatus, str] = {
    CriterionStatus.MET: "#2f6b2f",
    CriterionStatus.UNDER_APPRAISAL: "#1f5f99",
    CriterionStatus.NOT_MET: "#b3261e",
    CriterionStatus.NOT_ASSESSED: "#9aa39a",
}
ORDER = (CriterionStatus.MET, CriterionStatus.UNDER_APPRAISAL, CriterionStatus.NOT_MET, CriterionStatus.NOT_ASSESSED)

LABEL_WIDTH = 150
BAR_HEIGHT = 18
GAP = 6
PLOT_WIDTH = 460
TOP = 30
RIGHT = 60


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    title: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    segments: tuple[Segment, ...]
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    scale: int
    ticks: tuple[tuple[float, int], ...]
    target_x: float | None
    target_label: str
    legend: tuple[tuple[float, str, str], ...]
    title: str
    description: str

    @property
    def plot_left(self) -> int:
        return LABEL_WIDTH

    @property
    def plot_bottom(self) -> float:
        return self.height - 24


def progress_chart(progress: Progress) -> Chart:
    """Geometry of the chart for the communes with a dossier (the others have nothing to draw)."""
    rows = progress.rows_with_dossier
    scale = max([len(progress.columns), *(row.criteria_total for row in rows), 1])
    unit = PLOT_WIDTH / scale
    bars = []
    for index, row in enumerate(rows):
        y = TOP + index * (BAR_HEIGHT + GAP)
        x = float(LABEL_WIDTH)
        segments = []
        for status in ORDER:
            count = row.count(status)
            if count:
                segments.append(
                    Segment(x, count * unit, COLOURS[status], f"{row.unit.name}: {STATUS_LABELS[status]} {count}")
                )
                x += count * unit
        bars.append(Bar(row.unit.name, y, tuple(segments), f"{row.criteria_met}/{row.criteria_total}"))
    height = TOP + max(len(rows), 1) * (BAR_HEIGHT + GAP) + 30
    step = 5 if scale > 10 else 1
    ticks = tuple((LABEL_WIDTH + n * unit, n) for n in range(0, scale + 1, step))
    target = progress.target.value if progress.target else None
    legend_x = float(LABEL_WIDTH)
    legend = []
    for status in ORDER:
        legend.append((legend_x, COLOURS[status], STATUS_LABELS[status]))
        legend_x += 115
    average = progress.average_met
    description = (
        f"Số tiêu chí đạt của {len(rows)} xã có hồ sơ năm {progress.year}"
        + (f", bình quân {average:.1f} tiêu chí/xã".replace(".", ",") if average is not None else "")
        + (f", mục tiêu {target:.1f} tiêu chí/xã".replace(".", ",") if target is not None else "")
        + ". Số liệu chi tiết ở bảng ma trận xã × tiêu chí bên dưới."
    )
    return Chart(
        width=LABEL_WIDTH + PLOT_WIDTH + RIGHT,
        height=height,
        bars=tuple(bars),
        scale=scale,
        ticks=ticks,
        target_x=LABEL_WIDTH + target * unit if target is not None else None,
        target_label=f"Mục tiêu {target:.1f}".replace(".", ",") if target is not None else "",
        legend=tuple(legend),
        title=f"Tiến độ đạt tiêu chí theo xã, năm {progress.year}",
        description=description,
    )
