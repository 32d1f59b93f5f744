"""`GET /api/v1/dashboard`: the same figures as the page `/bang-theo-doi` and its .xlsx export (one domain function
reads them all), for the demo's district coordinator and the province's chairman; the same refusals as the page."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers.models import Unit, User
from tests.api.helpers import Caller, token_for
from tests.demo_database import DemoWorld
from tests.web.test_dashboard import page_figures, workbook_figures
from tests.web.test_query_counts import DASHBOARD_LIMIT, grow
from tests.web.workspace_demo import ACTING_AT, sign_in
from web.dashboard import xlsx

YEAR = 2025


@pytest.fixture
def api_app(app: Flask) -> Flask:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT
    app.config["NTM_API_RATE_LIMIT"] = "100000 per minute"
    return app


def caller_for(app: Flask, session: Session, username: str) -> Caller:
    user = session.scalars(select(User).where(User.username == username)).one()
    return Caller(app.test_client(), token_for(session, user, ACTING_AT))


def district(session: Session, world: DemoWorld) -> Unit:
    commune = session.get_one(Unit, world.units["Lê Lai"])
    assert commune.parent is not None
    return commune.parent


def api_figures(body: dict[str, Any]) -> dict[str, float | None]:
    return {f["key"]: None if f["value"] is None else float(f["value"]) for f in body["figures"]}


def page_matrix(html: str) -> dict[str, list[str]]:
    return {
        name: re.findall(r'data-status="(\w*)"', cells)
        for name, cells in re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', html, re.S)
    }


def api_matrix(body: dict[str, Any]) -> dict[str, list[str]]:
    numbers = [c["number"] for c in body["columns"]]
    found = {}
    for row in body["communes"]:
        statuses = {s["number"]: s["status"] for s in row["statuses"]}
        found[row["name"]] = [statuses.get(n, "") for n in numbers]
    return found


def sheet_rows(content: bytes, name: str) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content))[name].iter_rows(min_row=2, values_only=True))


@pytest.mark.parametrize(("username", "area"), [("dieuphoi.thachan", "district"), ("chutich.caobang", "province")])
def test_the_api_shows_the_figures_of_the_page_and_the_export(
    api_app: Flask, client: FlaskClient, session: Session, demo_world: DemoWorld, username: str, area: str
) -> None:
    unit = district(session, demo_world)
    area_id = unit.id if area == "district" else unit.parent_id
    response = caller_for(api_app, session, username).get(f"/api/v1/dashboard?year={YEAR}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["area"]["id"] == area_id and body["year"] == YEAR and body["level"] == "commune-ntm"
    # the answer fits the schema the OpenAPI document publishes for it
    spec = api_app.test_client().get("/api/openapi.json").get_json()
    Draft202012Validator({"$ref": "#/components/schemas/Dashboard", "components": spec["components"]}).validate(body)

    sign_in(client, username)
    html = client.get(f"/bang-theo-doi?nam={YEAR}").get_data(as_text=True)
    export = client.get(f"/bang-theo-doi/xuat.xlsx?nam={YEAR}").data

    # the headline figures: the page's, the export's and the API's are one
    assert api_figures(body) == page_figures(html) == workbook_figures(export)
    assert body["figures"][0]["key"] == "communes" and body["figures"][0]["value"] == len(body["communes"])
    # the matrix, cell by cell, and the criteria met per commune
    assert api_matrix(body) == page_matrix(html)
    rows = sheet_rows(export, xlsx.MATRIX)[: len(body["communes"])]  # (names repeat across districts: in order)
    assert [(r[0], r[1], r[3] == "Quá hạn", r[-1]) for r in rows] == [
        (row["name"], row["dossier_id"], row["overdue"], row["criteria_met"]) for row in body["communes"]
    ]
    # dossiers by state
    shown = {key: int(n) for key, n in re.findall(r'data-state="([^"]+)">(\d+)<', html)}
    assert {f"{c['level']}:{c['kind']}:{c['state']}": c["count"] for c in body["by_state"]} == shown
    # deadlines with who owes them and who is reminded, as the export lists them
    listed = [
        (
            "Quá hạn" if d["overdue"] else "Sắp đến hạn",
            d["owed_by"],
            d["title"],
            d["period_label"],
            dt.date.fromisoformat(d["last_day"]),
            d["days_left"],
            ", ".join(d["reminded"]) or "—",
            d["dossier_id"],
        )
        for d in [*body["overdue"], *body["coming"]]
    ]
    exported = [(*row[:4], row[4].date(), *row[5:]) for row in sheet_rows(export, xlsx.DEADLINES)]
    assert listed == exported
    assert listed and all(d["owed_by"] for d in [*body["overdue"], *body["coming"]])
    # the decisions waiting for the chairman, with their summary
    decisions = [
        (
            d["dossier_id"],
            d["unit"]["name"],
            d["level_label"],
            d["decider_name"],
            d["criteria_met"],
            d["criteria_total"],
            d["indicators_approved"],
            d["indicators_returned"],
            d["satisfaction"],
            d["vote_share"],
        )
        for d in body["awaiting_decision"]
    ]
    assert decisions == sheet_rows(export, xlsx.DECISIONS)


def test_the_chairman_reads_the_decision_waiting_and_the_district_target(
    api_app: Flask, session: Session, demo_world: DemoWorld
) -> None:
    body = caller_for(api_app, session, "chutich.caobang").get(f"/api/v1/dashboard?year={YEAR}").get_json()
    # Lê Lai's nâng cao dossier, forwarded to the provincial chairman
    le_lai = next(d for d in body["awaiting_decision"] if d["dossier_id"] == demo_world.dossiers["Lê Lai"])
    assert le_lai["criteria_met"] == le_lai["criteria_total"] == 19
    assert le_lai["households_reached"] == 910 and le_lai["households_satisfied"] == 868
    assert round(le_lai["satisfaction"], 3) == round(868 / 910, 3)
    assert any(c["holds"] is True for c in le_lai["conditions"])
    # the district below the province, asked by id: its plan's target, with its source
    area = district(session, demo_world)
    coordinator = caller_for(api_app, session, "dieuphoi.thachan")
    for who in (coordinator, caller_for(api_app, session, "chutich.caobang")):
        body = who.get(f"/api/v1/dashboard?unit_id={area.id}&year={YEAR}&level=commune-ntm").get_json()
        assert body["area"]["id"] == area.id
        assert body["target"]["value"] == 15.1 and "Thạch An" in body["target"]["source"]
        assert round(body["average_met"], 1) == next(f["value"] for f in body["figures"] if f["key"] == "average-met")
    # another level: its own matrix, every level's dossiers still by state
    body = coordinator.get(f"/api/v1/dashboard?year={YEAR}&level=commune-model").get_json()
    assert all(row["dossier_id"] is None and row["criteria_met"] is None for row in body["communes"])
    assert sum(c["count"] for c in body["by_state"]) == 5


@pytest.mark.parametrize(
    ("username", "query", "status"),
    [
        ("admin", "", 200),
        ("dieuphoi.caobang", "unit_id=district", 200),  # the province's office oversees the district below it
        ("dieuphoi.thachan", "unit_id=province", 403),  # not the other way round
        ("xa.lelai", "", 403),
        ("phong.nn-ptnt", "", 403),
        ("chutich.lelai", "", 403),  # a commune's chairman has no area
        ("xa.lelai", "unit_id=district", 403),
        ("dieuphoi.thachan", "unit_id=commune", 404),  # a commune is not an area
        ("dieuphoi.thachan", "unit_id=999999", 404),
        ("dieuphoi.thachan", "unit_id=abc", 422),
        ("dieuphoi.thachan", "unit_id=0", 422),
        ("dieuphoi.thachan", "year=1999", 422),
        ("dieuphoi.thachan", "year=20x5", 422),
        ("dieuphoi.thachan", "level=khong-co", 422),
        ("dieuphoi.thachan", "level=district-ntm", 422),  # not a level the matrix shows
        ("dieuphoi.thachan", "nam=2025", 422),  # the page's names are not the API's: unknown parameters refused
    ],
)
def test_who_may_read_the_dashboard_and_what_is_refused(
    api_app: Flask, session: Session, demo_world: DemoWorld, username: str, query: str, status: int
) -> None:
    area = district(session, demo_world)
    units = {"district": area.id, "province": area.parent_id, "commune": demo_world.units["Lê Lai"]}
    for name, ident in units.items():
        query = query.replace(f"={name}", f"={ident}")
    response = caller_for(api_app, session, username).get(f"/api/v1/dashboard?{query}")
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    if status != 200:
        assert set(body) >= {"code", "message", "errors"} and body["status"] == status
    if status == 422:
        assert body["code"] == "validation_error" and body["errors"]


def test_without_a_token_the_dashboard_is_401(api_app: Flask) -> None:
    response = api_app.test_client().get("/api/v1/dashboard")
    assert response.status_code == 401 and response.get_json()["code"] == "unauthenticated"


def test_the_spec_documents_the_dashboard(app: Flask) -> None:
    spec = app.test_client().get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/dashboard"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"unit_id", "year", "level"}
    assert {"200", "403", "404", "422"} <= set(operation["responses"])
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Dashboard"
    }
    assert "awaiting_decision" in spec["components"]["schemas"]["Dashboard"]["required"]


def count_api_queries(connection: Connection, who: Caller, path: str) -> tuple[int, dict[str, Any]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        response = who.get(path)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return len(statements), body


def test_the_dashboard_does_not_grow_in_queries_with_the_data(
    api_app: Flask, connection: Connection, session: Session, demo_world: DemoWorld
) -> None:
    callers = [caller_for(api_app, session, name) for name in ("dieuphoi.thachan", "chutich.caobang")]
    path = f"/api/v1/dashboard?year={YEAR}"
    for who in callers:  # the first call stamps the token's last use (an UPDATE); later ones at the same clock do not
        assert who.get(path).status_code == 200
    small = [count_api_queries(connection, who, path) for who in callers]
    grow(session, demo_world, 12)
    large = [count_api_queries(connection, who, path) for who in callers]
    assert [count for count, _ in large] == [count for count, _ in small]
    assert all(len(lb["communes"]) == len(sb["communes"]) + 12 for (_, sb), (_, lb) in zip(small, large, strict=True))
    assert all(count <= DASHBOARD_LIMIT for count, _ in small), small
