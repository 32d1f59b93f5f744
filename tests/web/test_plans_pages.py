"""The plans page of the coordinator's dashboard (`/bang-theo-doi/ke-hoach`), its "biểu giao chỉ tiêu" export
and the import of a target table, from the web and the CLI: page = export = `plan_progress`; a table with
bad rows saves nothing and lists every bad row with its reason; a good one saves; the page issues a fixed
number of queries whatever the number of communes and targets."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers.models import Plan, PlanTarget, TargetKind, Unit
from dossiers.planning.plans import STATUS_ORDER, TARGET_STATUS_LABELS, builtin_plan_files, plan_progress
from tests.demo_database import DemoWorld
from tests.web.test_query_counts import count_queries, grow
from tests.web.workspace_demo import ACTING_AT, sign_in
from web.dashboard.plans import workbook

COORDINATOR = "dieuphoi.thachan"
HEADER = ["Loại chỉ tiêu", "Đơn vị", "Mức", "Tiêu chí số", "Số lượng", "Ghi chú"]


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def the_plan(session: Session) -> Plan:
    return session.scalars(select(Plan).where(Plan.year == 2025)).one()


def target_ids(session: Session) -> list[int]:
    return list(session.scalars(select(PlanTarget.id).order_by(PlanTarget.id)).all())


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["BIỂU GIAO CHỈ TIÊU NĂM 2025"])  # a title above the header row, as offices write
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


GOOD_ROWS: list[list[object]] = [
    ["Xã đạt chuẩn", "Đức Xuân", "NTM", "", "", "mục II.2.a"],
    ["Tiêu chí", "Canh Tân", "", 2, "", ""],
    ["Xóm NTM", "Vân Trình", "", "", 9, ""],
]
#: sheet line → the reason the page must give (line 1 is the title, line 2 the header)
BAD_ROWS: list[tuple[list[object], str]] = [
    (["Xã đạt chuẩn", "Đức Xuân", "NTM", "", "", ""], ""),  # line 3: good
    (["Xã đạt chuẩn", "Xã Không Có", "NTM", "", "", ""], "không có xã «Xã Không Có» trong Thạch An năm 2025"),
    (["Trồng cây", "Lê Lợi", "", "", "", ""], "loại chỉ tiêu «Trồng cây» không có"),
    (["Tiêu chí", "Canh Tân", "", "", "", ""], "thiếu số tiêu chí"),
    (["Xóm NTM", "Vân Trình", "", "", 0, ""], "số lượng: phải từ 1 trở lên"),
    (["Xã đạt chuẩn", "Đức Xuân", "NTM", "", "", ""], "chỉ tiêu này của Đức Xuân đã có ở dòng 3"),
    (["Xã đạt chuẩn", "", "nâng cao", "", "", ""], "thiếu tên đơn vị"),
    (["Tiêu chí", "Minh Khai", "", 25, "", ""], "không có tiêu chí số 25"),
]


def test_the_page_shows_each_target_with_its_status_as_the_export_and_the_domain(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    sign_in(client, COORDINATOR)
    page = client.get("/bang-theo-doi/ke-hoach?nam=2025").get_data(as_text=True)
    progress = plan_progress(session, the_plan(session), ACTING_AT)
    assert '<tr data-unit="Đức Xuân" data-status="on_track">' in page
    assert '<tr data-unit="Canh Tân" data-status="at_risk">' in page
    assert "Kế hoạch triển khai thực hiện Chương trình MTQG xây dựng nông thôn mới huyện Thạch An năm 2025" in page
    assert "80.178,119" in page and "1.759,345" in page
    assert "<svg" in page and "Tiến độ thực hiện chỉ tiêu kế hoạch năm 2025" in page
    shown = dict(re.findall(r'<td data-status="(\w+)">(\d+)</td>', page))
    assert shown == {s.value: str(progress.count(s)) for s in STATUS_ORDER}
    assert page.count("<tr data-unit=") == len(progress.rows)
    # the export: one row per target, the same statuses in the same order, the same totals
    response = client.get("/bang-theo-doi/ke-hoach/xuat.xlsx?nam=2025")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "BIỂU GIAO CHỈ TIÊU KẾ HOẠCH XÂY DỰNG NÔNG THÔN MỚI NĂM 2025"
    header = values.index(["STT", "Đơn vị", "Nội dung chỉ tiêu", "Kế hoạch giao", "Kết quả", "Đánh giá", "Ghi chú"])
    exported = values[header + 1 : header + 1 + len(progress.rows)]
    assert [(r[1], r[2], r[5]) for r in exported] == [
        (row.unit_name, row.group, TARGET_STATUS_LABELS[row.status]) for row in progress.rows
    ]
    totals = next(r for r in values if r[1] == "Tổng hợp")
    assert totals[2:6] == [f"{TARGET_STATUS_LABELS[s]}: {progress.count(s)}" for s in STATUS_ORDER]
    assert [None, "Tổng nguồn lực", 80178.119] in [r[:3] for r in values]
    assert [None, "Ngân sách địa phương", 1759.345] in [r[:3] for r in values]
    # the export function alone gives the same bytes' content as the route (one source of figures)
    again = load_workbook(io.BytesIO(workbook([progress]))).worksheets[0]
    assert [list(r) for r in again.iter_rows(values_only=True)] == values


def test_the_dashboard_links_to_the_plans(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, COORDINATOR)
    page = client.get("/bang-theo-doi?nam=2025").get_data(as_text=True)
    assert 'id="ke-hoach" href="/bang-theo-doi/ke-hoach?' in page


def test_a_year_without_a_plan_points_to_the_years_with_one(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, COORDINATOR)
    page = client.get("/bang-theo-doi/ke-hoach?nam=2024").get_data(as_text=True)
    assert 'id="khong-co-ke-hoach"' in page and "nam=2025" in page


def test_a_commune_officer_may_not_see_the_plans(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "xa.leloi")
    assert client.get("/bang-theo-doi/ke-hoach").status_code == 403


def test_importing_a_table_with_bad_rows_saves_nothing_and_lists_every_bad_row(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    plan = the_plan(session)
    before = target_ids(session)
    sign_in(client, COORDINATOR)
    content = xlsx([row for row, _ in BAD_ROWS])
    response = client.post(
        f"/bang-theo-doi/ke-hoach/{plan.id}/nhap", data={"file": (io.BytesIO(content), "bieu-giao-chi-tieu.xlsx")}
    )
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    bad = [(line, reason) for line, (_, reason) in enumerate(BAD_ROWS, start=3) if reason]
    assert f"{len(bad)} dòng có lỗi" in page
    for line, reason in bad:
        row = re.search(rf'<tr class="to-fix" data-line="{line}">(.+?)</tr>', page, re.S)
        assert row is not None, line
        assert reason in row.group(1), (line, reason)
    assert '<tr data-line="3">' in page  # the good row is shown, not marked
    assert "form-nhap-xac-nhan" not in page  # nothing to confirm
    assert target_ids(session) == before
    # a confirmation forged with the bad rows is refused the same way, nothing saved
    forged = csv_bytes([row for row, _ in BAD_ROWS]).decode("utf-8")
    refused = client.post(f"/bang-theo-doi/ke-hoach/{plan.id}/nhap/luu", data={"noi-dung": forged})
    assert refused.status_code == 422 and "không lưu gì" in refused.get_data(as_text=True)
    assert target_ids(session) == before


def test_importing_a_good_table_previews_then_saves(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    plan = the_plan(session)
    before = target_ids(session)
    sign_in(client, COORDINATOR)
    response = client.post(
        f"/bang-theo-doi/ke-hoach/{plan.id}/nhap", data={"file": (io.BytesIO(csv_bytes(GOOD_ROWS)), "chi-tieu.csv")}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Chưa có gì được lưu" in page and target_ids(session) == before
    hidden = re.search(r'name="noi-dung" value="([^"]*)"', page, re.S)
    assert hidden is not None
    saved = client.post(
        f"/bang-theo-doi/ke-hoach/{plan.id}/nhap/luu", data={"noi-dung": html.unescape(hidden.group(1))}
    )
    assert saved.status_code == 302
    session.expire_all()
    rows = [(t.kind, t.unit.name, t.level, t.criterion_number, t.quantity) for t in the_plan(session).targets]
    assert rows == [
        (TargetKind.LEVEL, "Đức Xuân", "commune-ntm", None, None),
        (TargetKind.CRITERION, "Canh Tân", None, 2, None),
        (TargetKind.HAMLETS_NTM, "Vân Trình", None, None, 9),
    ]
    assert the_plan(session).targets[0].note == "mục II.2.a"


def test_the_cli_loads_lists_imports_and_shows_progress(
    runner: FlaskCliRunner, session: Session, demo_world: DemoWorld, tmp_path: Path
) -> None:
    loaded = runner.invoke(args=["plans", "load", str(builtin_plan_files()[0])])
    assert loaded.exit_code == 0, loaded.output
    listed = runner.invoke(args=["plans", "list", "--year", "2025"])
    assert "Thạch An" in listed.output and "80 178.119" in listed.output
    before = target_ids(session)
    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(xlsx([row for row, _ in BAD_ROWS]))
    refused = runner.invoke(args=["plans", "import", "--unit", "Thạch An", "--year", "2025", str(bad)])
    assert refused.exit_code != 0
    for line, (_, reason) in enumerate(BAD_ROWS, start=3):
        if reason:
            assert f"dòng {line}: " in refused.output and reason in refused.output, (line, reason)
    assert "7 dòng sai: không lưu gì." in refused.output
    session.expire_all()
    assert target_ids(session) == before
    good = tmp_path / "dung.csv"
    good.write_bytes(csv_bytes(GOOD_ROWS))
    saved = runner.invoke(args=["plans", "import", "--unit", "Thạch An", "--year", "2025", str(good)])
    assert saved.exit_code == 0, saved.output
    session.expire_all()
    assert len(the_plan(session).targets) == 3
    shown = runner.invoke(args=["plans", "progress", "--unit", "Thạch An", "--year", "2025"])
    assert shown.exit_code == 0 and "Đức Xuân" in shown.output


def _grow_plan(session: Session, demo_world: DemoWorld, communes: int) -> None:
    """More communes with dossiers (as the dashboard's query test grows them) and a target of each kind
    for each of them."""
    grow(session, demo_world, communes)
    plan = the_plan(session)
    added = session.scalars(select(Unit).where(Unit.name.like("Xã Thêm %"))).all()
    position = len(plan.targets)
    for unit in added:
        for kind, extra in (
            (TargetKind.LEVEL, {"level": "commune-ntm"}),
            (TargetKind.CRITERION, {"criterion_number": 9}),
            (TargetKind.HAMLETS_NTM, {"quantity": 2}),
        ):
            position += 1
            plan.targets.append(PlanTarget(position=position, kind=kind, unit_id=unit.id, **extra))
    session.commit()


def test_the_page_and_export_do_not_grow_with_the_targets(
    connection: Connection, client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    sign_in(client, COORDINATOR)
    small = {
        "page": count_queries(connection, client, "/bang-theo-doi/ke-hoach?nam=2025"),
        "xlsx": count_queries(connection, client, "/bang-theo-doi/ke-hoach/xuat.xlsx?nam=2025"),
    }
    _grow_plan(session, demo_world, 6)
    large = {
        "page": count_queries(connection, client, "/bang-theo-doi/ke-hoach?nam=2025"),
        "xlsx": count_queries(connection, client, "/bang-theo-doi/ke-hoach/xuat.xlsx?nam=2025"),
    }
    page = client.get("/bang-theo-doi/ke-hoach?nam=2025").get_data(as_text=True)
    assert page.count('<tr data-unit="Xã Thêm') == 18  # the larger plan is really on the page
    assert large == small
    assert small["page"] <= 40, small


def test_a_list_of_units_replaces_only_the_targets_of_its_criterion(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    """The communes to reach criterion 9, as a list an office keeps (one column): the eleven of seed 004 are
    replaced by the three listed; every other target of the plan stays as it was."""
    plan = the_plan(session)
    others = sorted(t.id for t in plan.targets if not (t.kind == TargetKind.CRITERION and t.criterion_number == 9))
    listed = "Xã\nĐức Xuân\nLê Lợi\nxã Canh Tân\n".encode()
    sign_in(client, COORDINATOR)
    scope = {"loai": "criterion", "muc": "", "tieu-chi": "9"}
    response = client.post(
        f"/bang-theo-doi/ke-hoach/{plan.id}/nhap", data={**scope, "file": (io.BytesIO(listed), "tieu-chi-9.csv")}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert 'id="pham-vi"' in page and "Xã đạt tiêu chí số 9" in page
    hidden = re.search(r'name="noi-dung" value="([^"]*)"', page, re.S)
    assert hidden is not None
    saved = client.post(
        f"/bang-theo-doi/ke-hoach/{plan.id}/nhap/luu", data={**scope, "noi-dung": html.unescape(hidden.group(1))}
    )
    assert saved.status_code == 302
    session.expire_all()
    plan = the_plan(session)
    housing = [t.unit.name for t in plan.targets if t.kind == TargetKind.CRITERION and t.criterion_number == 9]
    assert housing == ["Đức Xuân", "Lê Lợi", "Canh Tân"]
    kept = sorted(t.id for t in plan.targets if not (t.kind == TargetKind.CRITERION and t.criterion_number == 9))
    assert kept == others


def test_a_list_with_a_bad_unit_or_without_its_target_saves_nothing(
    client: FlaskClient, runner: FlaskCliRunner, session: Session, demo_world: DemoWorld, tmp_path: Path
) -> None:
    plan = the_plan(session)
    before = target_ids(session)
    sign_in(client, COORDINATOR)
    listed = "Đơn vị\nĐức Xuân\nXã Ma\n".encode()
    bad = client.post(
        f"/bang-theo-doi/ke-hoach/{plan.id}/nhap",
        data={"loai": "criterion", "tieu-chi": "9", "file": (io.BytesIO(listed), "ds.csv")},
    )
    assert bad.status_code == 422
    assert "không có xã «Xã Ma» trong Thạch An năm 2025" in html.unescape(bad.get_data(as_text=True))
    # a list without the target it is for is not a table this import can read
    unnamed = client.post(f"/bang-theo-doi/ke-hoach/{plan.id}/nhap", data={"file": (io.BytesIO(listed), "ds.csv")})
    assert unnamed.status_code == 422 and "cần chọn chỉ tiêu" in unnamed.get_data(as_text=True)
    no_number = client.post(
        f"/bang-theo-doi/ke-hoach/{plan.id}/nhap", data={"loai": "criterion", "file": (io.BytesIO(listed), "ds.csv")}
    )
    assert no_number.status_code == 422 and "thiếu số tiêu chí" in no_number.get_data(as_text=True)
    path = tmp_path / "ds.csv"
    path.write_bytes(listed)
    cli = runner.invoke(
        args=[
            "plans",
            "import",
            "--unit",
            "Thạch An",
            "--year",
            "2025",
            "--kind",
            "criterion",
            "--criterion",
            "9",
            str(path),
        ]
    )
    assert cli.exit_code != 0 and "dòng 3: không có xã «Xã Ma»" in cli.output
    session.expire_all()
    assert target_ids(session) == before
