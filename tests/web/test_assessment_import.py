"""The self-assessment table imported from the .xlsx a commune keeps: a preview with each row's errors,
nothing saved until the person confirms, and the confirmation saves the rows in one request."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.models import Assessment, AuditEvent, Criterion
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, form_html, fresh, sign_in
from web.workspace.xlsx_import import UnreadableWorkbookError, read_assessments
from workflow.measures import value_meeting


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def workbook(
    rows: list[tuple[Any, ...]], header: tuple[str, ...] = ("STT", "Mã chỉ tiêu", "Kết quả", "Đánh giá", "Ghi chú")
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tự đánh giá"
    sheet.append(["BẢNG TỰ ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN TIÊU CHÍ XÃ NÔNG THÔN MỚI"])
    sheet.append([])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client: FlaskClient, dossier_id: int, content: bytes, name: str = "tu-danh-gia.xlsx") -> Any:
    return client.post(
        f"/ho-so/{dossier_id}/tu-danh-gia/nhap-excel",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _counts(session: Session, dossier_id: int) -> tuple[int, int]:
    session.expire_all()
    events = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.dossier_id == dossier_id)) or 0
    assessed = session.scalar(select(func.count(Assessment.id)).where(Assessment.dossier_id == dossier_id)) or 0
    return events, assessed


def test_reading_finds_the_header_and_checks_each_row() -> None:
    content = workbook(
        [
            ("", "Tiêu chí 1. Quy hoạch", "", "", ""),
            (1, "1.1", "Có quy hoạch chung", "Đạt", ""),
            (2, "1.2", 3, "chưa đạt", "đang điều chỉnh"),
            (3, "9.9", "", "Đạt", ""),
            (4, "1.1", "", "x", ""),
            (5, "2.1", "", "có lẽ", ""),
        ]
    )
    preview = read_assessments(content, {"1.1", "1.2", "2.1"})
    assert preview.sheet == "Tự đánh giá"
    assert [(r.line, r.code, r.met, r.value) for r in preview.valid] == [
        (5, "1.1", True, "Có quy hoạch chung"),
        (6, "1.2", False, "3"),
    ]
    errors = {r.line: "; ".join(r.errors) for r in preview.invalid}
    assert "không có chỉ tiêu «9.9»" in errors[7]
    assert "chỉ tiêu 1.1 đã có ở dòng 5" in errors[8]
    assert "không hiểu «có lẽ»" in errors[9]
    with pytest.raises(UnreadableWorkbookError):
        read_assessments(b"%PDF-1.4 not a workbook", {"1.1"})
    with pytest.raises(UnreadableWorkbookError, match="dòng tiêu đề"):
        read_assessments(workbook([("1.1", "Đạt")], header=("A", "B")), {"1.1"})


def test_a_preview_saves_nothing_and_the_confirmation_saves_in_one_request(
    client: FlaskClient, demo_world: DemoWorld, session: Session
) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]  # self-assessment
    dossier = fresh(session, dossier_id)
    last = session.scalars(
        select(Criterion).where(Criterion.criteria_set_id == dossier.criteria_set_id).order_by(Criterion.number.desc())
    ).first()
    assert last is not None
    codes = [indicator.code for indicator in last.indicators]
    sign_in(client, "xa.vantrinh")
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    assert 'id="form-import"' in page
    before = _counts(session, dossier_id)

    bad = _upload(client, dossier_id, workbook([(1, codes[0], "80 %", "Đạt", ""), (2, "99.9", "", "Đạt", "")]))
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "không có chỉ tiêu «99.9»" in text and "Chưa có gì được ghi vào hồ sơ." in text
    assert 'id="form-import-confirm"' not in text
    assert _counts(session, dossier_id) == before

    # each value in its indicator's measure (a yes/no, a percentage, …), reaching the unit's threshold
    unit = dossier.unit
    values = {
        i.code: value_meeting(
            i.measure, i.threshold_for(unit.region, unit.commune_group, dossier.year), i.answers or ()
        )
        or f"Kết quả {i.code}"
        for i in last.indicators
    }
    rows = [(n, code, values[code], "Đạt", "") for n, code in enumerate(codes, start=1)]
    good = _upload(client, dossier_id, workbook(rows))
    assert good.status_code == 200
    form = form_html(good.get_data(as_text=True), "form-import-confirm")
    assert _counts(session, dossier_id) == before
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    assert all(fields[f"met:{code}"] == "1" and fields[f"value:{code}"] == values[code] for code in codes)
    saved = client.post(f"/ho-so/{dossier_id}/tu-danh-gia/bang", data=fields)
    assert saved.status_code == 302
    events, assessed = _counts(session, dossier_id)
    assert events == before[0] + 1 and assessed == before[1] + len(codes)


def test_only_the_commune_may_import(client: FlaskClient, demo_world: DemoWorld, session: Session) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]
    sign_in(client, "mttq.vantrinh")
    refused = _upload(client, dossier_id, workbook([(1, "1.1", "", "Đạt", "")]))
    assert refused.status_code == 403
    sign_in(client, "xa.vantrinh")
    nothing = client.post(f"/ho-so/{dossier_id}/tu-danh-gia/nhap-excel", data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422
    assert "Chọn tệp Excel (.xlsx)" in form_html(nothing.get_data(as_text=True), "form-import")
    broken = _upload(client, dossier_id, b"PK\x03\x04 broken")
    assert broken.status_code == 422 and "không đọc được" in broken.get_data(as_text=True)
