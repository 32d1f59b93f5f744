"""The coordinator's and the chairman's dashboard: its numbers equal the .xlsx export's (read back with
openpyxl) and a count made here directly from the database; overdue dossiers carry a marker; only the
coordination office and the chairman of the area (or above, or an admin) may open it."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dossiers.models import AppraisalItem, AppraisalTask, Assessment, Criterion, Dossier, Indicator, Unit
from notifications.obligations import open_obligations
from tests.demo_database import DemoWorld
from tests.web.test_fuzz_forms import HOSTILE
from tests.web.workspace_demo import ACTING_AT, sign_in
from web.dashboard import xlsx
from workflow.calendar import local_date

YEAR = 2025


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def district(session: Session, demo_world: DemoWorld) -> Unit:
    commune = session.get_one(Unit, demo_world.units["Lê Lai"])
    assert commune.parent is not None
    return commune.parent


def page_figures(html: str) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    for key, text in re.findall(r'data-figure="([\w-]+)">([^<]*)<', html):
        found[key] = None if text == "—" else float(text.replace(",", "."))
    return found


def workbook_figures(content: bytes) -> dict[str, float | None]:
    sheet = load_workbook(io.BytesIO(content))[xlsx.SUMMARY]
    found: dict[str, float | None] = {}
    header_seen = False
    for key, _label, value in sheet.iter_rows(min_col=1, max_col=3, values_only=True):
        if key == "Mã":
            header_seen = True
            continue
        if header_seen and key:
            found[str(key)] = None if value is None else float(value)
    return found


def database_figures(session: Session, area: Unit, now: dt.datetime) -> dict[str, float | None]:
    """The same numbers, counted here from the rows: the district's communes, their dossiers, their criteria."""
    communes = session.scalars(select(Unit.id).where(Unit.parent_id == area.id, Unit.kind == "commune")).all()
    below = select(Unit.id).where(or_(Unit.id == area.id, Unit.parent_id == area.id, Unit.parent_id.in_(communes)))
    dossiers_total = session.scalar(
        select(func.count(Dossier.id)).where(Dossier.unit_id.in_(below), Dossier.year == YEAR)
    )
    ntm = session.scalars(
        select(Dossier).where(Dossier.unit_id.in_(communes), Dossier.year == YEAR, Dossier.level == "commune-ntm")
    ).all()
    met_total = 0
    for dossier in ntm:
        met = {a.indicator_id for a in session.scalars(select(Assessment).where(Assessment.dossier_id == dossier.id))
               if a.met is True}  # fmt: skip
        blocked = set(
            session.scalars(
                select(AppraisalItem.indicator_id)
                .join(AppraisalTask, AppraisalTask.id == AppraisalItem.task_id)
                .where(
                    AppraisalTask.dossier_id == dossier.id,
                    or_(AppraisalItem.decision.is_(None), AppraisalItem.decision == "returned"),
                )
            )
        )
        for criterion in session.scalars(select(Criterion).where(Criterion.criteria_set_id == dossier.criteria_set_id)):
            indicators = set(session.scalars(select(Indicator.id).where(Indicator.criterion_id == criterion.id)))
            if indicators and indicators <= met and not indicators & blocked:
                met_total += 1
    obligations = open_obligations(session, years=[YEAR], today=local_date(now), within=area)
    overdue = [o for o in obligations if o.is_overdue(now)]
    coming = [o for o in obligations if not o.is_overdue(now) and (o.last_day - local_date(now)).days <= 30]
    forwarded = session.scalar(
        select(func.count(Dossier.id)).where(Dossier.unit_id.in_(below), Dossier.year == YEAR,
                                             Dossier.state == "forwarded")
    )  # fmt: skip
    return {
        "communes": len(communes),
        "communes-with-dossier": len({d.unit_id for d in ntm}),
        "criteria-met": met_total,
        "average-met": round(met_total / len(ntm), 1),
        "target-average": 15.1,  # the district's 2025 plan (seed 004)
        "dossiers": dossiers_total,
        "awaiting-decision": forwarded,
        "deadlines-overdue": len(overdue),
        "deadlines-coming": len(coming),
        "dossiers-overdue": len({o.dossier_id for o in overdue if o.dossier_id is not None}),
    }


def test_the_page_the_export_and_the_database_agree(
    client: FlaskClient, demo_world: DemoWorld, session: Session
) -> None:
    area = district(session, demo_world)
    sign_in(client, "dieuphoi.thachan")
    page = client.get(f"/bang-theo-doi?nam={YEAR}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    export = client.get(f"/bang-theo-doi/xuat.xlsx?don-vi={area.id}&nam={YEAR}&muc=commune-ntm")
    assert export.status_code == 200
    assert export.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    shown, exported, counted = (
        page_figures(html),
        workbook_figures(export.data),
        database_figures(session, area, ACTING_AT),
    )
    assert shown == exported == counted
    # the first half of 2025 as seed 004 describes it: 13 communes, 3 with a 2025 NTM dossier (Đức Xuân, Lê Lợi,
    # Vân Trình), 5 dossiers of every level, one waiting for the chairman (Lê Lai's nâng cao dossier, forwarded)
    assert counted["communes"] == 13 and counted["communes-with-dossier"] == 3 and counted["awaiting-decision"] == 1
    assert counted["dossiers"] == 5


def matrix_rows(html: str, book: Workbook) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """commune → the label of each criterion's cell, as the page shows it and as the export's matrix sheet has it."""
    labels = {"met": "Đạt", "under_appraisal": "Đang thẩm tra", "not_met": "Chưa đạt", "not_assessed": "Chưa đánh giá"}
    page_rows = {}
    for name, cells in re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', html, re.S):
        page_rows[name] = [labels.get(status, "") for status in re.findall(r'data-status="(\w*)"', cells)]
    sheet = book[xlsx.MATRIX]
    header = [cell.value for cell in sheet[1]]
    first, last = header.index("TC 1"), header.index("Số tiêu chí đạt")
    sheet_rows = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if not row[0] or row[0] == "Tên tiêu chí" or str(row[0]).startswith("TC "):
            continue
        sheet_rows[str(row[0])] = [str(value or "") for value in row[first:last]]
    return page_rows, sheet_rows


def test_the_matrix_and_the_states_agree_cell_by_cell(
    client: FlaskClient, demo_world: DemoWorld, session: Session
) -> None:
    sign_in(client, "dieuphoi.thachan")
    html = client.get(f"/bang-theo-doi?nam={YEAR}").get_data(as_text=True)
    book = load_workbook(io.BytesIO(client.get(f"/bang-theo-doi/xuat.xlsx?nam={YEAR}").data))
    page_rows, sheet_rows = matrix_rows(html, book)
    assert page_rows == sheet_rows
    assert len(page_rows) == 13
    assert Counter(page_rows["Đức Xuân"])["Đang thẩm tra"] > 0  # under appraisal, half the departments answered

    # nâng cao: Lê Lai (NTM since 2016-2020) forwarded with every indicator approved, Đức Long returned
    advanced = client.get(f"/bang-theo-doi?nam={YEAR}&muc=commune-advanced").get_data(as_text=True)
    advanced_book = load_workbook(
        io.BytesIO(client.get(f"/bang-theo-doi/xuat.xlsx?nam={YEAR}&muc=commune-advanced").data)
    )
    advanced_page, advanced_sheet = matrix_rows(advanced, advanced_book)
    assert advanced_page == advanced_sheet
    assert len(advanced_page) == 13
    assert advanced_page["Lê Lai"] == ["Đạt"] * 19  # every department approved: all met
    assert "Chưa đạt" in advanced_page["Đức Long"]  # a department returned an indicator

    # dossiers by state: the page, the export and a GROUP BY here
    shown = {key: int(n) for key, n in re.findall(r'data-state="([^"]+)">(\d+)<', html)}
    states = book[xlsx.BY_STATE]
    exported = sum(row[2] for row in states.iter_rows(min_row=2, values_only=True) if row[0] != "Tổng")
    area = district(session, demo_world)
    communes = select(Unit.id).where(Unit.parent_id == area.id)
    counted = {
        f"{level}:{kind}:{state}": n
        for level, kind, state, n in session.execute(
            select(Dossier.level, Dossier.kind, Dossier.state, func.count())
            .where(Dossier.unit_id.in_(communes), Dossier.year == YEAR)
            .group_by(Dossier.level, Dossier.kind, Dossier.state)
        )
    }
    assert shown == counted
    assert exported == sum(counted.values())


def test_an_overdue_dossier_carries_a_marker(client: FlaskClient, app: Flask, demo_world: DemoWorld) -> None:
    """Xã Đức Xuân's dossier is under appraisal since 23/04/2025, the departments' last day 16/05/2025: by the
    end of June half of them have still not answered, and its appraisal is overdue."""
    app.config["NTM_CLOCK"] = lambda: dt.datetime(2025, 6, 30, 2, 0, tzinfo=dt.UTC)
    sign_in(client, "dieuphoi.caobang")
    html = client.get(f"/bang-theo-doi?nam={YEAR}").get_data(as_text=True)
    row = re.search(r'<tr data-unit="Đức Xuân">(.*?)</tr>', html, re.S)
    assert row is not None
    assert f"/ho-so/{demo_world.dossiers['Đức Xuân']}" in row.group(1)
    assert "Quá hạn" in row.group(1)
    # a dossier that owes nothing overdue carries none (Lê Lợi's, in consultation: its next step is due in September)
    on_time = re.search(r'<tr data-unit="Lê Lợi">(.*?)</tr>', html, re.S)
    assert on_time is not None and f"/ho-so/{demo_world.dossiers['Lê Lợi']}" in on_time.group(1)
    assert "Quá hạn" not in on_time.group(1)
    assert "Thẩm tra hồ sơ đối với các chỉ tiêu phụ trách" in html.split('id="viec-qua-han"')[1]


def test_the_chairman_sees_the_decision_waiting_with_its_appraisal(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "chutich.caobang")
    html = client.get(f"/bang-theo-doi?nam={YEAR}").get_data(as_text=True)
    # Lê Lai's nâng cao dossier, forwarded to the provincial chairman
    le_lai = demo_world.dossiers["Lê Lai"]
    summary = html.split(f'id="quyet-dinh-{le_lai}"')[1].split("</section>")[0]
    assert "Xã Lê Lai" in summary and "19/19" in summary
    assert "không có nợ đọng xây dựng cơ bản: đạt".capitalize() in summary
    assert "Hài lòng 95,4 %" in summary  # 868 of 910 households asked
    assert f"/ho-so/{le_lai}#thao-tac" in summary


def test_the_chart_is_inline_svg_with_a_text_alternative(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "dieuphoi.thachan")
    html = client.get(f"/bang-theo-doi?nam={YEAR}").get_data(as_text=True)
    svg = html.split("<svg")[1].split("</svg>")[0]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    # Lê Lợi 19 (all met), Đức Xuân 14 (5 still under appraisal), Vân Trình 12 (half assessed): 45 / 3
    assert "bình quân 15,0 tiêu chí/xã, mục tiêu 15,1" in svg
    assert "<figcaption>" in html
    # the CSP allows neither inline styles nor inline scripts (script files of the site are fine)
    assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


@pytest.mark.parametrize(
    ("username", "query", "status"),
    [
        ("dieuphoi.thachan", "", 200),
        ("chutich.caobang", "", 200),
        ("admin", "", 200),
        ("dieuphoi.caobang", "district", 200),  # the province's office oversees the district below it
        ("dieuphoi.thachan", "province", 403),  # not the other way round
        ("xa.lelai", "", 403),
        ("phong.nn-ptnt", "", 403),
        ("chutich.lelai", "", 403),  # a commune's chairman has no district or province area
        ("dieuphoi.thachan", "commune", 404),  # a commune is not an area
        ("dieuphoi.thachan", "999999", 404),
        ("dieuphoi.thachan", "abc", 404),
    ],
)
def test_who_may_open_the_dashboard(
    client: FlaskClient, demo_world: DemoWorld, session: Session, username: str, query: str, status: int
) -> None:
    area = district(session, demo_world)
    units = {"district": area.id, "province": area.parent_id, "commune": demo_world.units["Lê Lai"]}
    sign_in(client, username)
    suffix = f"?don-vi={units.get(query, query)}" if query else ""
    assert client.get(f"/bang-theo-doi{suffix}").status_code == status
    assert client.get(f"/bang-theo-doi/xuat.xlsx{suffix}").status_code == status


def test_the_menu_offers_the_dashboard_only_to_those_who_may_open_it(
    client: FlaskClient, demo_world: DemoWorld
) -> None:
    sign_in(client, "dieuphoi.thachan")
    assert "/bang-theo-doi" in client.get("/viec-cua-toi").get_data(as_text=True)
    sign_in(client, "chutich.lelai")
    assert "/bang-theo-doi" not in client.get("/viec-cua-toi").get_data(as_text=True)


def test_bad_filters_get_a_vietnamese_message_not_a_500(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "dieuphoi.thachan")
    response = client.get("/bang-theo-doi?nam=20x5&muc=khong-co")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Năm phải là số từ 2000 đến 2100" in html and 'value="20x5"' in html
    assert "Mức công nhận không hợp lệ" in html
    assert client.get("/bang-theo-doi/xuat.xlsx?nam=-1").status_code == 422
    assert client.get("/bang-theo-doi?nam=99999999999999999999").status_code == 422


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in ("/bang-theo-doi", "/bang-theo-doi/xuat.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_hostile_filters_never_make_a_server_error(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "dieuphoi.thachan")
    for value in [v for v in HOSTILE if isinstance(v, str)]:
        for name in ("don-vi", "nam", "muc"):
            for path in ("/bang-theo-doi", "/bang-theo-doi/xuat.xlsx"):
                response = client.get(path, query_string={name: value})
                assert response.status_code < 500, (path, name, value[:20])


def test_another_level_shows_its_own_matrix(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "dieuphoi.thachan")
    html = client.get(f"/bang-theo-doi?nam={YEAR}&muc=commune-advanced").get_data(as_text=True)
    assert 'data-figure="communes-with-dossier">2<' in html  # Lê Lai and Đức Long applied for nâng cao in 2025
    html = client.get(f"/bang-theo-doi?nam={YEAR}&muc=commune-model").get_data(as_text=True)
    assert 'data-figure="communes-with-dossier">0<' in html  # no commune applied for kiểu mẫu in 2025
    assert "Chưa có xã nào có hồ sơ ở mức này trong năm 2025" in html
    assert 'data-figure="dossiers">5<' in html  # every level's dossiers still count by state
