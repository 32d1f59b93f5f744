"""`/api/v1/reports`: a commune's report written and submitted through the API, the same services as the page."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.models import ReportSubmission, Unit, WatchedIndicator
from tests.api.helpers import Caller, holder, token_for
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import TODAY_AT
from workflow.vocabulary import Role


@pytest.fixture
def api_app(app: Flask) -> Flask:
    app.config["NTM_CLOCK"] = lambda: TODAY_AT
    app.config["NTM_API_RATE_LIMIT"] = "100000 per minute"
    return app


def _caller(app: Flask, session: Session, unit: Unit) -> Caller:
    return Caller(app.test_client(), token_for(session, holder(session, Role.UNIT_OFFICER, unit_id=unit.id), TODAY_AT))


def test_a_commune_submits_its_report_through_the_api(api_app: Flask, session: Session, demo_today: DemoWorld) -> None:
    unit = session.scalars(select(Unit).where(Unit.name == "Canh Tân", Unit.valid_from.is_not(None))).one()
    water = session.scalars(
        select(WatchedIndicator).where(WatchedIndicator.year == 2026, WatchedIndicator.code == "nuoc-sach")
    ).one()
    api = _caller(api_app, session, unit)
    body = {
        "code": "report-monthly", "period": "2026-11", "unit_id": unit.id,
        "sections": {"results": "Kết quả tháng 11"}, "figures": {str(water.id): "64"},
    }  # fmt: skip
    draft = api.post("/api/v1/reports", json=body)
    assert draft.status_code == 201, draft.get_json()
    data = draft.get_json()
    assert data["state"] == "draft" and data["figures"] == {str(water.id): "64"}
    assert data["period_label"] == "tháng 11/2026" and data["late"] is None
    done = api.post("/api/v1/reports", json={**body, "submit": True, "document_ref": "Số 7/BC-UBND"})
    assert done.status_code == 201
    assert done.get_json()["state"] == "submitted" and done.get_json()["late"] is False
    assert api.get(f"/api/v1/reports/{data['id']}").get_json()["state"] == "submitted"
    # once submitted it is final
    again = api.post("/api/v1/reports", json={**body, "submit": True})
    assert again.status_code == 422 and again.get_json()["code"] == "report_invalid"
    # a late one: October, due before 20/10
    late = api.post("/api/v1/reports", json={**body, "period": "2026-10", "figures": {}, "submit": True})
    assert late.status_code == 201 and late.get_json()["late"] is True


def test_bad_input_and_foreign_units_are_refused(api_app: Flask, session: Session, demo_today: DemoWorld) -> None:
    unit = session.scalars(select(Unit).where(Unit.name == "Canh Tân", Unit.valid_from.is_not(None))).one()
    other = session.scalars(select(Unit).where(Unit.name == "Kim Đồng", Unit.valid_from.is_not(None))).one()
    api = _caller(api_app, session, unit)
    before = session.scalar(select(func.count()).select_from(ReportSubmission))
    base = {"code": "report-monthly", "period": "2026-11", "unit_id": unit.id, "sections": {"results": "x"}}
    for body, status in (
        ({**base, "unit_id": other.id}, 403),
        ({**base, "period": "2026-13"}, 422),
        ({**base, "period": "0000"}, 422),
        ({**base, "figures": {"1": "abc"}}, 422),
        ({**base, "extra": 1}, 422),
        ({**base, "submit": "yes"}, 422),
        ({**base, "department_id": 1}, 422),
        ({**base, "unit_id": 2147483647}, 404),
    ):
        response = api.post("/api/v1/reports", json=body)
        assert response.status_code == status, (body, response.get_json())
        assert set(response.get_json()) >= {"status", "code", "message", "errors"}
    assert session.scalar(select(func.count()).select_from(ReportSubmission)) == before
    assert api.get("/api/v1/reports/2147483647").status_code == 404
    # a report of another commune is not found
    mine = api.post("/api/v1/reports", json=base).get_json()["id"]
    assert _caller(api_app, session, other).get(f"/api/v1/reports/{mine}").status_code == 404
