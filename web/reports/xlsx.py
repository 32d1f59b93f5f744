"""The consolidated report of a period as an .xlsx workbook (openpyxl): the same numbers as the page."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from dossiers.planning.reports import SECTIONS, Consolidated
from web.dashboard.xlsx import DATE_FORMAT, column_widths, header_row
from workflow.calendar import local_date
from workflow.reporting import REPORT_STATUS_LABELS

STATUS_SHEET = "Tình hình nộp"
FIGURES_SHEET = "Số liệu tổng hợp"
BY_UNIT_SHEET = "Số liệu theo xã"
NARRATIVES_SHEET = "Nội dung báo cáo"


def workbook(summary: Consolidated, area_name: str) -> bytes:
    """Four sheets: who reported (with status and date), the figures summed and averaged, each commune's
    figures, and the narratives gathered per commune."""
    overview = summary.overview
    book = Workbook()
    status = book.create_sheet(STATUS_SHEET, 0)
    book.remove(book.worksheets[1])  # the empty sheet every new workbook starts with
    status.append([f"{overview.rule.title} — kỳ {overview.occurrence.label} — {area_name}"])
    status["A1"].font = Font(bold=True)
    status.append([f"Hạn: trước ngày {overview.occurrence.before:%d/%m/%Y}"])
    header_row(status, ["Đơn vị", "Tình trạng", "Ngày nộp"])
    for row in overview.rows:
        status.append(
            [
                row.place.name,
                REPORT_STATUS_LABELS[row.status],
                local_date(row.submitted_at) if row.submitted_at else None,
            ]
        )
        if row.submitted_at is not None:
            status.cell(status.max_row, 3).number_format = DATE_FORMAT
    count = overview.count
    status.append([])
    for label, value in (
        ("Đúng hạn", count.on_time), ("Nộp muộn", count.late), ("Chưa nộp (quá hạn)", count.missing),
        ("Chưa đến hạn", count.not_due), ("Tổng số đơn vị", count.total),
    ):  # fmt: skip
        status.append([label, value])
    column_widths(status, [34, 22, 14])

    figures = book.create_sheet(FIGURES_SHEET)
    figures.append([f"Số liệu chỉ tiêu theo dõi tháng {summary.month:%m/%Y}, từ các báo cáo đã nộp"])
    figures["A1"].font = Font(bold=True)
    header_row(
        figures, ["Chỉ tiêu", "Ngưỡng", "Số xã báo cáo", "Tổng", "Bình quân", "Số xã dưới ngưỡng", "Bình quân đạt"]
    )
    for f in summary.figures:
        figures.append(
            [
                f.indicator.name,
                f.indicator.threshold,
                f.reported,
                f.total,
                round(f.average, 2) if f.average is not None else None,
                f.below,
                None if f.average_met is None else ("Đạt" if f.average_met else "Chưa đạt"),
            ]
        )
    column_widths(figures, [60, 10, 14, 10, 12, 18, 14])

    by_unit = book.create_sheet(BY_UNIT_SHEET)
    header_row(by_unit, ["Đơn vị", *(i.name for i in summary.indicators)])
    for row in overview.rows:
        cells: list[object] = [row.place.name]
        for indicator in summary.indicators:
            figure = summary.values.get((row.place.id, indicator.id))
            cells.append(figure.value if figure is not None else None)
        by_unit.append(cells)
    column_widths(by_unit, [34, *([18] * len(summary.indicators))])

    narratives = book.create_sheet(NARRATIVES_SHEET)
    header_row(narratives, ["Mục", "Đơn vị", "Nội dung"])
    for key, label in SECTIONS:
        for unit_name, text in summary.narratives.get(key, []):
            narratives.append([label, unit_name, text])
            narratives.cell(narratives.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    column_widths(narratives, [24, 28, 100])

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
