"""The report and watched-indicator lists are queries, not loops: the same number of SQL statements on the whole
demo and on the demo grown by more communes, each with its reports and monthly values (16/11/2026)."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers.models import PeriodicReport, ReportSubmission, Unit, WatchedIndicator, WatchedValue
from tests.demo_database import DemoWorld
from tests.web.test_query_counts import count_queries
from tests.web.workspace_demo import TODAY_AT, sign_in
from workflow.calendar import local_time

#: every list of these pages in at most this many statements, whatever the number of communes
LIMIT = 40
SEPTEMBER = dt.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: TODAY_AT


def grow(session: Session, communes: int) -> None:
    """More communes of the province, half of them with September's monthly report submitted and its values."""
    province = session.scalars(select(Unit).where(Unit.kind == "province", Unit.code == "04")).one()
    indicators = session.scalars(select(WatchedIndicator).where(WatchedIndicator.year == 2026)).all()
    submitted = local_time(dt.date(2026, 9, 15), dt.time(9))
    for index in range(communes):
        unit = Unit(
            name=f"Xã Thêm {index}", kind="commune", parent_id=province.id, region=province.region,
            valid_from=dt.date(2025, 7, 1),
        )  # fmt: skip
        session.add(unit)
        session.flush()
        if index % 2:
            continue
        submission = ReportSubmission(
            obligation_code="report-monthly", period="2026-09", unit_id=unit.id, submitted_at=submitted
        )
        session.add(submission)
        session.add(
            PeriodicReport(
                obligation_code="report-monthly", period="2026-09", unit_id=unit.id, state="submitted",
                sections={"results": f"Kết quả của xã thêm {index}"},
                due_at=local_time(dt.date(2026, 9, 20), dt.time(0)), created_at=submitted, updated_at=submitted,
                submitted_at=submitted, submission=submission, late=False,
            )
        )  # fmt: skip
        for indicator in indicators:
            session.add(
                WatchedValue(
                    watched_indicator_id=indicator.id, unit_id=unit.id, month=SEPTEMBER, text="60", value=60.0,
                    met=indicator.code != "nuoc-sach", recorded_at=submitted,
                )
            )  # fmt: skip
    session.commit()


def figures(connection: Connection, client: FlaskClient, province_id: int) -> dict[str, int]:
    found = {}
    sign_in(client, "dieuphoi.caobang")
    query = "bao-cao=report-monthly&ky=2026-09"
    found["overview"] = count_queries(connection, client, f"/bao-cao/tong-hop?{query}")
    found["overview-print"] = count_queries(connection, client, f"/bao-cao/tong-hop/in?{query}")
    found["overview-xlsx"] = count_queries(connection, client, f"/bao-cao/tong-hop/xuat.xlsx?{query}")
    found["watch-area"] = count_queries(connection, client, f"/chi-tieu-theo-doi?don-vi={province_id}&nam=2026")
    sign_in(client, "xa2025.thachan")
    found["my-reports"] = count_queries(connection, client, "/bao-cao?nam=2026")
    found["watch-commune"] = count_queries(connection, client, "/chi-tieu-theo-doi?nam=2026")
    return found


def test_report_lists_do_not_grow_with_the_communes(
    connection: Connection, client: FlaskClient, demo_today: DemoWorld, session: Session
) -> None:
    province_id = session.scalars(select(Unit.id).where(Unit.kind == "province", Unit.code == "04")).one()
    small = figures(connection, client, province_id)
    grow(session, 10)
    large = figures(connection, client, province_id)
    assert large == small, (small, large)
    assert all(count <= LIMIT for count in small.values()), small
    # and the lists really grew
    sign_in(client, "dieuphoi.caobang")
    page = client.get("/bao-cao/tong-hop?bao-cao=report-monthly&ky=2026-09").get_data(as_text=True)
    assert page.count("Xã Thêm") >= 10 and "Kết quả của xã thêm 4" in page
    area = client.get(f"/chi-tieu-theo-doi?don-vi={province_id}&nam=2026").get_data(as_text=True)
    assert area.count("Xã Thêm") == 5
