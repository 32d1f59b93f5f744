"""`GET /api/v1/plans`: the same targets and statuses as the page `/bang-theo-doi/ke-hoach` and the domain
function (`plan_progress`), for the district's coordinator in June 2025 and the province's chairman in
November 2026 (the year over, the communes merged); the same refusals as the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import Plan, User
from dossiers.planning.plans import plan_progress
from tests.api.helpers import Caller, token_for
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, TODAY_AT, sign_in


def caller(app: Flask, session: Session, username: str, now: dt.datetime = ACTING_AT) -> Caller:
    user = session.scalars(select(User).where(User.username == username)).one()
    return Caller(app.test_client(), token_for(session, user, now))


@pytest.fixture
def api_app(app: Flask) -> Flask:
    app.config["NTM_API_RATE_LIMIT"] = "100000 per minute"
    return app


def test_the_api_gives_the_page_and_domain_statuses(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    api_app.config["NTM_CLOCK"] = lambda: ACTING_AT
    response = caller(api_app, session, "dieuphoi.thachan").get("/api/v1/plans?year=2025")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    [plan_body] = body["plans"]
    plan = session.scalars(select(Plan)).one()
    progress = plan_progress(session, plan, ACTING_AT)
    assert [(t["unit_name"], t["group"], t["status"]) for t in plan_body["targets"]] == [
        (r.unit_name, r.group, str(r.status)) for r in progress.rows
    ]
    assert plan_body["resources"]["total"] == 80178.119 and plan_body["average_criteria"] == 15.1
    assert plan_body["number"] is None and plan_body["final"] is False
    client = api_app.test_client()
    sign_in(client, "dieuphoi.thachan")
    page = client.get("/bang-theo-doi/ke-hoach?nam=2025").get_data(as_text=True)
    shown = re.findall(r'<tr data-unit="([^"]+)" data-status="(\w+)">', page)
    assert shown == [(t["unit_name"], t["status"]) for t in plan_body["targets"]]
    assert {k: str(v) for k, v in plan_body["counts"].items()} == dict(
        re.findall(r'<td data-status="(\w+)">(\d+)</td>', page)
    )


def test_after_the_reform_the_province_sees_the_districts_plan(
    api_app: Flask, session: Session, demo_today: DemoWorld
) -> None:
    api_app.config["NTM_CLOCK"] = lambda: TODAY_AT
    body = caller(api_app, session, "chutich.caobang", TODAY_AT).get("/api/v1/plans?year=2025").get_json()
    [plan_body] = body["plans"]
    assert plan_body["final"] is True
    assert {t["status"] for t in plan_body["targets"]} <= {"met", "missed"}
    housing = next(
        t for t in plan_body["targets"] if t["unit_name"] == "Đức Xuân" and t["group"].startswith("Tiêu chí số 9")
    )
    assert housing["status"] == "met" and housing["read_from"] == "xã Đông Khê (sau sắp xếp)"


def test_the_same_refusals_as_the_page(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    api_app.config["NTM_CLOCK"] = lambda: ACTING_AT
    assert caller(api_app, session, "xa.leloi").get("/api/v1/plans").status_code == 403
    coordinator = caller(api_app, session, "dieuphoi.thachan")
    assert coordinator.get("/api/v1/plans?unit_id=2147483647").status_code == 404
    assert coordinator.get("/api/v1/plans?year=abc").status_code == 422
    assert coordinator.get("/api/v1/plans?nam=2025").status_code == 422
