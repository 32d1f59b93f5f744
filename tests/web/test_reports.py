"""The report pages on the whole demo (16/11/2026): a commune writes and submits its report, the province sees
who reported, who is late, who is missing, the consolidated report, its .xlsx and a printable page; the
watched indicators' page shows a chart per indicator and records a month's values."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.models import PeriodicReport, Unit, WatchedValue, WatchEpisode
from dossiers.planning.watch import builtin_watch_files
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, TODAY_AT, sign_in


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: TODAY_AT


def _unit(session: Session, name: str) -> Unit:
    return session.scalars(select(Unit).where(Unit.name == name, Unit.valid_from.is_not(None))).one()


def _csrf_free_version(page: str, form_id: str) -> str:
    form = page.split(f'id="{form_id}"')[1].split("</form>")[0]
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found is not None
    return found.group(1)


def test_the_demo_has_reports_on_time_late_and_missing(client: FlaskClient, demo_today: DemoWorld) -> None:
    sign_in(client, "xa2025.thachan")
    page = client.get("/bao-cao?nam=2026").get_data(as_text=True)
    assert "Báo cáo tháng kết quả thực hiện Chương trình" in page
    table = page.split('id="bao-cao-don-vi-')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    february = next(r for r in rows if "tháng 02/2026" in r)
    assert "Nộp muộn" in february  # due before 20/02, in Tết; sent after it
    october = next(r for r in rows if "tháng 10/2026" in r)
    assert "Chưa nộp (quá hạn)" in october
    january = next(r for r in rows if "tháng 01/2026" in r)
    assert "Đã nộp đúng hạn" in january
    december = next(r for r in rows if "tháng 12/2026" in r)
    assert "Chưa đến hạn" in december and "Viết báo cáo" in december


def test_a_commune_writes_and_submits_its_report(client: FlaskClient, session: Session, demo_today: DemoWorld) -> None:
    thach_an = _unit(session, "Thạch An")
    sign_in(client, "xa2025.thachan")
    opened = client.post("/bao-cao/moi", data={"code": "report-monthly", "period": "2026-11", "don-vi": thach_an.id})
    assert opened.status_code == 302
    path = opened.headers["Location"]
    page = client.get(path).get_data(as_text=True)
    assert "Tháng 11/2026" in page or "tháng 11/2026" in page
    version = _csrf_free_version(page, "form-bao-cao")
    # a bad figure: refused, nothing recorded, the text typed kept in the form
    values_before = session.scalar(select(func.count()).select_from(WatchedValue))
    fields = {"version": version, "results": "Kết quả tháng 11", "difficulties": "", "proposals": ""}
    ids = re.findall(r'name="figure:(\d+)"', page)
    assert len(ids) == 5
    bad = client.post(f"{path}/luu", data={**fields, f"figure:{ids[0]}": "120"})
    assert bad.status_code == 422
    assert "Kết quả tháng 11" in bad.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(WatchedValue)) == values_before
    saved = client.post(f"{path}/luu", data={**fields, **{f"figure:{i}": "80" for i in ids}})
    assert saved.status_code == 302
    page = client.get(path).get_data(as_text=True)
    version = _csrf_free_version(page, "form-nop")
    # submitting asks for a confirmation
    refused = client.post(f"{path}/nop", data={"version": version})
    assert refused.status_code == 422 and "xác nhận" in refused.get_data(as_text=True)
    done = client.post(f"{path}/nop", data={"version": version, "confirm": "1", "document_ref": "Số 9/BC-UBND"})
    assert done.status_code == 302
    report = session.scalars(select(PeriodicReport).where(PeriodicReport.period == "2026-11")).one()
    session.refresh(report)
    assert report.state == "submitted" and report.late is False
    page = client.get(path).get_data(as_text=True)
    assert "Đúng hạn" in page and "Số 9/BC-UBND" in page and 'id="form-nop"' not in page
    # another commune's officer cannot read it
    sign_in(client, "xa2025.duclong")
    assert client.get(path).status_code == 404


def test_the_province_sees_who_reported_and_the_consolidated_report(
    client: FlaskClient, session: Session, demo_today: DemoWorld
) -> None:
    sign_in(client, "dieuphoi.caobang")
    query = "bao-cao=report-monthly&ky=2026-09"
    page = client.get(f"/bao-cao/tong-hop?{query}").get_data(as_text=True)
    table = page.split('id="bang-nop"')[1].split("</table>")[0]
    statuses = {
        name: status
        for name, status in re.findall(
            r"<td>([^<]+)</td>\s*<td><span class=\"report-status[^\"]*\">([^<]+)</span>", table
        )
    }
    assert statuses["Đức Long"] == "Đã nộp đúng hạn"
    assert statuses["Thạch An"] == "Nộp muộn"
    assert "(muộn 5 ngày làm việc)" in table  # last day Saturday 19/09, sent Friday 25/09: Mon-Fri
    assert statuses["Đông Khê"] == "Chưa nộp (quá hạn)"
    assert statuses["Canh Tân"] == "Chưa nộp (quá hạn)"
    assert "<svg" in page and "Tình hình nộp báo cáo kỳ tháng 09/2026" in page
    # the figures: two communes reported September; Thạch An's online payments (22,5) are below 25 %
    figures = page.split('id="bang-so-lieu"')[1].split("</table>")[0]
    payments = figures.split('data-indicator="thanh-toan-truc-tuyen"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in payments and "55,5" in payments and "27,75" in payments
    assert "Duy trì các tiêu chí đã đạt" in page

    printable = client.get(f"/bao-cao/tong-hop/in?{query}")
    assert printable.status_code == 200 and "BÁO CÁO TỔNG HỢP" in printable.get_data(as_text=True)
    export = client.get(f"/bao-cao/tong-hop/xuat.xlsx?{query}")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.data))
    assert book.sheetnames == ["Tình hình nộp", "Số liệu tổng hợp", "Số liệu theo xã", "Nội dung báo cáo"]
    rows = {row[0]: row[1] for row in book["Tình hình nộp"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert rows["Thạch An"] == "Nộp muộn" and rows["Đông Khê"] == "Chưa nộp (quá hạn)"
    figure_rows = {row[0]: row for row in book["Số liệu tổng hợp"].iter_rows(min_row=3, values_only=True)}
    payments_row = figure_rows["Tỷ lệ hồ sơ TTHC có phí thanh toán trực tuyến"]
    assert payments_row[2:6] == (2, 55.5, 27.75, 1)

    assert client.get("/bao-cao/tong-hop?ky=2026-13").status_code == 422
    assert client.get("/bao-cao/tong-hop?bao-cao=x").status_code == 422
    sign_in(client, "xa2025.thachan")
    assert client.get(f"/bao-cao/tong-hop?{query}").status_code == 403


def test_the_watched_indicators_page_charts_and_records(
    client: FlaskClient, session: Session, demo_today: DemoWorld
) -> None:
    thach_an = _unit(session, "Thạch An")
    sign_in(client, "xa2025.thachan")
    page = client.get("/chi-tieu-theo-doi?nam=2026").get_data(as_text=True)
    assert page.count("<svg") == 5 and "stroke-dasharray" in page
    months = page.split('data-indicator="thanh-toan-truc-tuyen"')[1].split("</tr>")[0]
    assert 'class="num below">22,5<' in months
    # the open episode of September: one, not yet alerted (the scheduler's scan alerts it)
    episodes = session.scalars(select(WatchEpisode).where(WatchEpisode.unit_id == thach_an.id)).all()
    assert [(e.key.rsplit(":", 1)[1], e.recovered_month) for e in episodes] == [("2026-09", None)]
    ids = re.findall(r'name="value:(\d+)"', page)
    bad = client.post("/chi-tieu-theo-doi", data={"don-vi": thach_an.id, "thang": "13/2026", ids[0]: "1"})
    assert bad.status_code == 422
    bad = client.post("/chi-tieu-theo-doi", data={"don-vi": thach_an.id, "thang": "11/2026", f"value:{ids[0]}": "abc"})
    assert bad.status_code == 422 and "không phải một số" in bad.get_data(as_text=True)
    ok = client.post(
        "/chi-tieu-theo-doi", data={"don-vi": thach_an.id, "thang": "11/2026", **{f"value:{i}": "90" for i in ids}}
    )
    assert ok.status_code == 302
    # recovering in November closes the episode
    session.expire_all()
    episodes = session.scalars(select(WatchEpisode).where(WatchEpisode.unit_id == thach_an.id)).all()
    assert [e.recovered_month.month if e.recovered_month else None for e in episodes] == [11]
    # another commune's officer reads but may not record
    sign_in(client, "xa2025.duclong")
    assert client.get(f"/chi-tieu-theo-doi?don-vi={thach_an.id}").status_code == 200
    refused = client.post(
        "/chi-tieu-theo-doi", data={"don-vi": thach_an.id, "thang": "11/2026", f"value:{ids[0]}": "50"}
    )
    assert refused.status_code == 403
    # the province's coordinator sees the area's latest values
    sign_in(client, "dieuphoi.caobang")
    province = session.scalars(select(Unit).where(Unit.kind == "province", Unit.code == "04")).one()
    area = client.get(f"/chi-tieu-theo-doi?don-vi={province.id}&nam=2026").get_data(as_text=True)
    assert "Đức Long" in area and "Thạch An" in area and 'id="bang-dia-ban"' in area


def test_the_cli_loads_a_watch_list(runner: FlaskCliRunner, demo_today: DemoWorld, tmp_path: Path) -> None:
    result = runner.invoke(args=["watch", "load", str(builtin_watch_files()[0])])
    assert result.exit_code == 0, result.output
    assert "5 chỉ tiêu, năm 2025, 2026" in result.output and "nuoc-sach" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("authority: {code: '99', kind: province}\nyears: [2025]\nindicators: []\n", encoding="utf-8")
    result = runner.invoke(args=["watch", "load", str(bad)])
    assert result.exit_code != 0 and "không có đơn vị" in result.output


def test_a_district_writes_its_quarterly_report_to_the_province(
    app: Flask, client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    """Before 1/7/2025 a district owes the province its quarterly report (Cao Bằng's plan, seed 004): its
    coordination office writes and submits it here, and the province sees which districts reported."""
    app.config["NTM_CLOCK"] = lambda: ACTING_AT
    district = session.scalars(select(Unit).where(Unit.kind == "district", Unit.name == "Thạch An")).one()
    sign_in(client, "dieuphoi.thachan")
    page = client.get("/bao-cao?nam=2025").get_data(as_text=True)
    table = page.split(f'id="bao-cao-don-vi-{district.id}"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    first = next(r for r in rows if "quý I/2025" in r)
    assert "Báo cáo quý của huyện" in first and "Chưa nộp (quá hạn)" in first
    assert "Chưa đến hạn" in next(r for r in rows if "quý II/2025" in r)

    opened = client.post(
        "/bao-cao/moi", data={"code": "district-report-quarterly", "period": "2025-Q2", "don-vi": district.id}
    )
    assert opened.status_code == 302
    path = opened.headers["Location"]
    page = client.get(path).get_data(as_text=True)
    fields = {"version": _csrf_free_version(page, "form-bao-cao"), "results": "Kết quả quý II của huyện"}
    assert client.post(f"{path}/luu", data=fields).status_code == 302
    page = client.get(path).get_data(as_text=True)
    done = client.post(f"{path}/nop", data={"version": _csrf_free_version(page, "form-nop"), "confirm": "1"})
    assert done.status_code == 302
    report = session.scalars(
        select(PeriodicReport).where(PeriodicReport.unit_id == district.id, PeriodicReport.period == "2025-Q2")
    ).one()
    session.refresh(report)
    assert report.state == "submitted" and report.late is False

    # a commune's officer writes no report of its district
    sign_in(client, "xa.lelai")
    refused = client.post(
        "/bao-cao/moi", data={"code": "district-report-quarterly", "period": "2025-Q3", "don-vi": district.id}
    )
    assert refused.status_code in (403, 404)
    # the province sees which districts reported the quarter
    sign_in(client, "dieuphoi.caobang")
    page = client.get("/bao-cao/tong-hop?bao-cao=district-report-quarterly&ky=2025-Q2").get_data(as_text=True)
    table = page.split('id="bang-nop"')[1].split("</table>")[0]
    assert re.search(r"<td>Thạch An</td>\s*<td><span class=\"report-status[^\"]*\">Đã nộp đúng hạn</span>", table)


def test_my_work_lists_the_reports_owed_late_or_due_soon(client: FlaskClient, demo_today: DemoWorld) -> None:
    """ "Việc của tôi" lists what the commune still owes from the stored obligations: October's monthly report
    (late) and November's (last day 19/11, three days ahead), not the months it sent."""
    sign_in(client, "xa2025.thachan")
    page = client.get("/viec-cua-toi").get_data(as_text=True)
    table = page.split('id="bao-cao-phai-nop"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    october = next(r for r in rows if "tháng 10/2026" in r)
    assert "Quá hạn" in october and "Thạch An" in october
    november = next(r for r in rows if "tháng 11/2026" in r)
    assert "Sắp đến hạn" in november and "19/11/2026" in november
    assert not any("tháng 01/2026" in r for r in rows)  # sent on time
    assert 'href="/bao-cao?nam=2026"' in table
    # a department officer of the province sees no commune's reports
    sign_in(client, "so.so-tc")
    page = client.get("/viec-cua-toi").get_data(as_text=True)
    assert "tháng 10/2026" not in page
