"""The dashboard as an .xlsx workbook (openpyxl): the same numbers as the page, from the same function."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dossiers.dashboard import STATUS_LABELS, level_label
from notifications.dashboard import Dashboard, figures
from notifications.obligations import unit_label

SUMMARY = "Tổng hợp"
MATRIX = "Ma trận xã × tiêu chí"
BY_STATE = "Hồ sơ theo trạng thái"
DEADLINES = "Thời hạn"
DECISIONS = "Chờ quyết định"

DATE_FORMAT = "DD/MM/YYYY"


def header_row(sheet: Worksheet, row: list[str]) -> None:
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def column_widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def workbook(board: Dashboard) -> bytes:
    """The workbook's bytes: a summary, the matrix, dossiers by state, deadlines and the decisions waiting."""
    p = board.progress
    book = Workbook()
    summary = book.create_sheet(SUMMARY, 0)
    for sheet in book.worksheets[1:]:
        book.remove(sheet)  # the empty sheet every new workbook starts with
    summary.append([f"Bảng theo dõi xây dựng nông thôn mới — {unit_label(p.area)}, năm {p.year}"])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append(["Mức công nhận (ma trận)", level_label(p.level)])
    summary.append(["Số liệu tính đến ngày", board.today])
    summary.cell(row=summary.max_row, column=2).number_format = DATE_FORMAT
    summary.append([])
    header_row(summary, ["Mã", "Chỉ số", "Giá trị"])
    for figure in figures(board):
        summary.append([figure.key, figure.label, figure.value])
    if p.target is not None:
        summary.append([])
        summary.append(["", "Nguồn mục tiêu", p.target.source])
    column_widths(summary, [24, 48, 20])

    matrix = book.create_sheet(MATRIX)
    header_row(
        matrix,
        ["Xã", "Số hồ sơ", "Trạng thái hồ sơ", "Quá hạn", *(f"TC {c.number}" for c in p.columns), "Số tiêu chí đạt"],
    )
    overdue = board.overdue_dossier_ids
    for row in p.rows:
        matrix.append(
            [
                row.unit.name,
                row.dossier.id if row.dossier else None,
                row.state_label,
                ("Quá hạn" if row.dossier and row.dossier.id in overdue else ""),
                *(STATUS_LABELS[row.statuses[c.number]] if c.number in row.statuses else "" for c in p.columns),
                row.criteria_met,
            ]
        )
    matrix.append([])
    matrix.append(["Tên tiêu chí"])
    for column in p.columns:
        matrix.append([f"TC {column.number}", column.name])
    matrix.freeze_panes = "B2"
    column_widths(matrix, [18, 9, 28, 9, *([14] * len(p.columns)), 14])

    states = book.create_sheet(BY_STATE)
    header_row(states, ["Mức công nhận", "Trạng thái", "Số hồ sơ"])
    for count in p.by_state:
        states.append([count.level_label, count.state_label, count.count])
    states.append(["Tổng", "", p.dossiers_total])
    column_widths(states, [48, 32, 10])

    deadlines = book.create_sheet(DEADLINES)
    header_row(
        deadlines, ["Tình trạng", "Ai phải làm", "Việc", "Kỳ", "Hạn cuối", "Số ngày còn lại", "Nhắc", "Số hồ sơ"]
    )
    for entry in [*board.overdue, *board.coming]:
        o = entry.obligation
        deadlines.append(
            [
                "Quá hạn" if entry.overdue else "Sắp đến hạn",
                entry.owed_by,
                o.title,
                o.period_label,
                o.last_day,
                entry.days_left,
                entry.reminded,
                o.dossier_id,
            ]
        )
        deadlines.cell(row=deadlines.max_row, column=5).number_format = DATE_FORMAT
    column_widths(deadlines, [14, 48, 48, 30, 12, 10, 36, 9])

    decisions = book.create_sheet(DECISIONS)
    header_row(
        decisions,
        [
            "Số hồ sơ",
            "Xã",
            "Mức công nhận",
            "Người quyết định",
            "Tiêu chí đạt",
            "Tổng số tiêu chí",
            "Chỉ tiêu thẩm tra đạt",
            "Chỉ tiêu trả lại",
            "Tỷ lệ hộ hài lòng",
            "Tỷ lệ biểu quyết tán thành",
        ],
    )
    for s in p.awaiting_decision:
        decisions.append(
            [
                s.dossier.id,
                s.dossier.unit.name,
                s.level_label,
                s.decider_name,
                s.criteria_met,
                s.criteria_total,
                s.indicators_approved,
                s.indicators_returned,
                s.satisfaction,
                s.vote_share,
            ]
        )
        for share in (9, 10):
            decisions.cell(row=decisions.max_row, column=share).number_format = "0.0%"
    column_widths(decisions, [9, 18, 36, 32, 12, 12, 14, 12, 14, 14])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
