"""The self-assessment table a commune already keeps in Excel, read for a preview (openpyxl).

Nothing is saved here: the preview lists what each row would record and what is wrong with the rows
that cannot be read; the person then confirms, and the confirmation is the ordinary self-assessment
form of the whole set (one request, one command, one audit event).

The sheet is found by its header row, whatever its position and column order: a column for the
indicator's code ("Mã chỉ tiêu", "Chỉ tiêu", "Mã"), one for the verdict ("Đánh giá", "Đạt", "Kết luận"),
and optionally the value reached ("Kết quả", "Giá trị") and a note ("Ghi chú").
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from dossiers.tables import cell_text as _cell
from dossiers.tables import plain_text as _plain

#: more rows than any criteria set has indicators, with room for headings and blank lines
MAX_ROWS = 2000
MAX_TEXT = 4000

#: header words → the column they name (compared without accents, lower case)
HEADERS = {
    "code": ("ma chi tieu", "ma so", "ma", "chi tieu", "so thu tu chi tieu"),
    "met": ("danh gia", "dat", "ket luan", "tu danh gia", "dat/chua dat"),
    "value": ("ket qua", "gia tri", "ket qua dat duoc", "ket qua thuc hien"),
    "note": ("ghi chu",),
}
MET = {"dat", "x", "1", "co", "true", "yes"}
NOT_MET = {"chua dat", "khong dat", "0", "khong", "false", "no"}


class UnreadableWorkbookError(ValueError):
    """The file is not a workbook this page can read; the message says why, in Vietnamese."""


@dataclass
class ImportRow:
    line: int
    code: str
    met: bool | None = None
    value: str | None = None
    note: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    sheet: str
    rows: list[ImportRow]

    @property
    def valid(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.errors]

    @property
    def invalid(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]


def _columns(row: tuple[Any, ...]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        name = _plain(value)
        for column, words in HEADERS.items():
            if column not in found and name in words:
                found[column] = index
                break
    return found if {"code", "met"} <= found.keys() else None


def read_assessments(content: bytes, codes: Collection[str]) -> ImportPreview:
    """Each row of the first sheet holding a header row, checked against the dossier's indicator `codes`."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableWorkbookError("Tệp không đọc được như một bảng tính Excel (.xlsx).") from exc
    try:
        for sheet in workbook.worksheets:
            columns: dict[str, int] | None = None
            rows: list[ImportRow] = []
            seen: dict[str, int] = {}
            for line, values in enumerate(sheet.iter_rows(values_only=True, max_row=MAX_ROWS), start=1):
                if columns is None:
                    columns = _columns(tuple(values))
                    continue
                row = _row(line, tuple(values), columns, codes, seen)
                if row is not None:
                    rows.append(row)
            if columns is not None:
                return ImportPreview(sheet=sheet.title, rows=rows)
    finally:
        workbook.close()
    raise UnreadableWorkbookError(
        "Không tìm thấy dòng tiêu đề: bảng cần có cột «Mã chỉ tiêu» và cột «Đánh giá» (Đạt / Chưa đạt)."
    )


def _row(
    line: int, values: tuple[Any, ...], columns: dict[str, int], codes: Collection[str], seen: dict[str, int]
) -> ImportRow | None:
    def at(column: str) -> str:
        index = columns.get(column)
        return _cell(values[index]) if index is not None and index < len(values) else ""

    code, verdict = at("code"), at("met")
    if not code and not verdict:
        return None  # a blank line or a heading of a criterion
    if code and code not in codes and not verdict and any(ch.isalpha() for ch in code):
        return None  # a criterion's heading row ("Tiêu chí 1. Quy hoạch")
    row = ImportRow(line=line, code=code, value=at("value") or None, note=at("note") or None)
    if not code:
        row.errors.append("thiếu mã chỉ tiêu")
    elif code not in codes:
        row.errors.append(f"không có chỉ tiêu «{code[:20]}» trong bộ tiêu chí của hồ sơ")
    elif code in seen:
        row.errors.append(f"chỉ tiêu {code} đã có ở dòng {seen[code]}")
    else:
        seen[code] = line
    plain = _plain(verdict)
    if plain in MET:
        row.met = True
    elif plain in NOT_MET:
        row.met = False
    else:
        row.errors.append(
            "cột đánh giá cần ghi «Đạt» hoặc «Chưa đạt»" if not verdict else f"không hiểu «{verdict[:30]}»"
        )
    for text in (row.value, row.note):
        if text is not None and (len(text) > MAX_TEXT or any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)):
            row.errors.append(f"nội dung quá dài (tối đa {MAX_TEXT} ký tự) hoặc có ký tự không hợp lệ")
            break
    return row
