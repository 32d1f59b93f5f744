"""A plan's target table (biểu giao chỉ tiêu) as offices keep it, in .xlsx or .csv, read for a preview.

One row per target and unit: a column for the kind of target ("Loại chỉ tiêu": the codes of
`TargetKind`, or the words offices write — "Xã đạt chuẩn", "Tiêu chí", "Xóm NTM", "Xóm kiểu mẫu",
"Tăng tiêu chí"), one for the unit ("Đơn vị", "Xã"), and as the kind needs: the level ("Mức"), the
criterion's number ("Tiêu chí số"), how many ("Số lượng"), the criteria met at the start of the year
("Đầu năm"), a source and a note. A list of units for one target is several rows of the same kind, or a
file with only the units, imported for a `TargetScope` ("the communes to reach criterion 9"): it then
replaces the plan's targets of that scope and leaves the others.

Nothing is saved here: `read_targets` gives every row with its reasons, `check_against_plan` adds the
reasons only the database knows (a unit the plan's area does not have, a target given twice), and the
caller saves with `dossiers.planning.plans.replace_targets` only when no row has a reason — all or nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from dossiers.models import Plan, TargetKind
from dossiers.planning.plans import TargetRow, TargetScope, check_row, resolve_rows, scope_problems
from dossiers.tables import cell_text, plain_text
from workflow.vocabulary import RecognitionLevel

#: a district has a few hundred targets at most; more is not a target table
MAX_ROWS = 2000
MAX_BYTES = 2_000_000

#: header words → the column they name (compared without accents, lower case)
HEADERS = {
    "kind": ("loai chi tieu", "loai", "chi tieu giao", "noi dung"),
    "unit": ("don vi", "xa", "ten xa", "ten don vi", "xa, thi tran"),
    "level": ("muc", "muc dat chuan", "muc cong nhan"),
    "criterion": ("tieu chi so", "tieu chi", "so tieu chi"),
    "quantity": ("so luong", "so xom", "so tieu chi tang"),
    "baseline": ("dau nam", "so tieu chi dau nam", "tieu chi dat dau nam"),
    "source": ("nguon", "can cu"),
    "note": ("ghi chu",),
}
#: what offices write for a kind of target → the kind
KIND_WORDS = {
    "xa dat chuan": TargetKind.LEVEL,
    "dat chuan": TargetKind.LEVEL,
    "xa dat tieu chi": TargetKind.CRITERION,
    "tieu chi": TargetKind.CRITERION,
    "tang tieu chi": TargetKind.CRITERIA_ADDED,
    "xa tang them tieu chi": TargetKind.CRITERIA_ADDED,
    "xom ntm": TargetKind.HAMLETS_NTM,
    "xom dat chuan nong thon moi": TargetKind.HAMLETS_NTM,
    "xom kieu mau": TargetKind.HAMLETS_MODEL,
    "xom nong thon moi kieu mau": TargetKind.HAMLETS_MODEL,
}
LEVEL_WORDS = {
    "ntm": RecognitionLevel.COMMUNE_NTM,
    "nong thon moi": RecognitionLevel.COMMUNE_NTM,
    "nang cao": RecognitionLevel.COMMUNE_ADVANCED,
    "ntm nang cao": RecognitionLevel.COMMUNE_ADVANCED,
    "nong thon moi nang cao": RecognitionLevel.COMMUNE_ADVANCED,
    "kieu mau": RecognitionLevel.COMMUNE_MODEL,
    "ntm kieu mau": RecognitionLevel.COMMUNE_MODEL,
    "nong thon moi kieu mau": RecognitionLevel.COMMUNE_MODEL,
}


class UnreadableTableError(ValueError):
    """The file is not a table this import can read; the message says why, in Vietnamese."""


@dataclass
class ImportedRow:
    line: int
    values: dict[str, str]
    row: TargetRow | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class TargetsPreview:
    sheet: str
    rows: list[ImportedRow]
    #: a list of units for one target (the file had no kind column): what the rows replace
    scope: TargetScope | None = None

    @property
    def invalid(self) -> list[ImportedRow]:
        return [row for row in self.rows if row.errors]

    @property
    def targets(self) -> list[TargetRow]:
        return [row.row for row in self.rows if row.row is not None]

    def as_csv(self) -> str:
        """The rows read, as the CSV this module reads back: what a confirmation carries."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["Loại chỉ tiêu", "Đơn vị", "Mức", "Tiêu chí số", "Số lượng", "Đầu năm", "Nguồn", "Ghi chú"])
        for r in self.rows:
            v = r.values
            writer.writerow(
                [v.get(k, "") for k in ("kind", "unit", "level", "criterion", "quantity", "baseline", "source", "note")]
            )
        return out.getvalue()


def _columns(row: list[Any], need_kind: bool = True) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        name = plain_text(value)
        for column, words in HEADERS.items():
            if column not in found and name in words:
                found[column] = index
                break
    return found if {"kind", "unit"} <= found.keys() or (not need_kind and "unit" in found) else None


def _table(content: bytes, file_name: str, need_kind: bool) -> tuple[str, list[list[Any]]]:
    if len(content) > MAX_BYTES:
        raise UnreadableTableError(f"Tệp quá lớn (tối đa {MAX_BYTES // 1_000_000} MB).")
    if file_name.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnreadableTableError("Tệp .csv cần mã hóa UTF-8.") from exc
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel()  # type: ignore[assignment]
        return "csv", [list(r) for r in csv.reader(io.StringIO(text), dialect)][:MAX_ROWS]
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableTableError("Tệp không đọc được như một bảng tính Excel (.xlsx) hay tệp .csv.") from exc
    try:
        for sheet in workbook.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS)]
            if any(_columns(r, need_kind) for r in rows):
                return sheet.title, rows
    finally:
        workbook.close()
    return "", []


def read_targets(content: bytes, file_name: str, scope: TargetScope | None = None) -> TargetsPreview:
    """Every row under the header row of the first sheet that has one, each checked on its own. With a
    `scope`, the file may be a list of units (no kind column): each row is a target of that scope."""
    sheet, table = _table(content, file_name, need_kind=scope is None)
    columns: dict[str, int] | None = None
    rows: list[ImportedRow] = []
    for line, values in enumerate(table, start=1):
        if columns is None:
            columns = _columns(values, need_kind=scope is None)
            continue
        texts = {name: cell_text(values[index]) if index < len(values) else "" for name, index in columns.items()}
        if not any(texts.values()):
            continue  # a blank line
        if scope is not None and "kind" not in columns:
            texts["kind"] = scope.kind.value
            texts["level"] = texts.get("level") or (scope.level.value if scope.level else "")
            texts["criterion"] = texts.get("criterion") or (str(scope.criterion) if scope.criterion else "")
        kind = _kind(texts.get("kind", ""))
        level = _level(texts.get("level", ""))
        row, errors = check_row(
            f"dòng {line}",
            kind,
            texts.get("unit"),
            level,
            texts.get("criterion") or None,
            texts.get("quantity") or None,
            texts.get("baseline") or None,
            texts.get("source") or None,
            texts.get("note") or None,
        )
        rows.append(ImportedRow(line=line, values=texts, row=row, errors=errors))
    if columns is None:
        raise UnreadableTableError(
            "Không tìm thấy dòng tiêu đề: bảng cần có cột «Loại chỉ tiêu» và cột «Đơn vị» (hoặc «Xã»); "
            "một danh sách đơn vị (chỉ có cột «Đơn vị») cần chọn chỉ tiêu mà danh sách được giao."
        )
    return TargetsPreview(sheet=sheet, rows=rows, scope=scope)


def _kind(text: str) -> str:
    plain = plain_text(text)
    if plain in {k.value for k in TargetKind}:
        return plain
    found = KIND_WORDS.get(plain)
    return found.value if found is not None else text


def _level(text: str) -> str:
    plain = plain_text(text)
    found = LEVEL_WORDS.get(plain)
    return found.value if found is not None else text


def check_against_plan(session: Session, plan: Plan, preview: TargetsPreview) -> TargetsPreview:
    """Add to each row the reasons only the database knows (`resolve_rows`): an unknown unit, a duplicate."""
    by_line = {f"dòng {r.line}": r for r in preview.rows}
    _, problems = resolve_rows(session, plan.unit, plan.year, preview.targets)
    for problem in scope_problems(preview.targets, preview.scope) + problems:
        line, _, reason = problem.partition(": ")
        if line in by_line:
            by_line[line].errors.append(reason)
    return preview
