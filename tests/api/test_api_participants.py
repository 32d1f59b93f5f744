"""The API's ownership table says how sure a reconstructed table is (the district-level sets of Cao Bằng) and which
rows hold only for a kiểu mẫu outstanding field (seed 004's assignments in huyện Thạch An); a Front officer records
a supervision comment through the same command path as the page."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from dossiers.criteria_loader import find_criteria_set
from dossiers.demo import DemoData
from tests.api.helpers import holder
from tests.api.test_api import AT, caller
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT
from workflow.vocabulary import Role


@pytest.fixture
def api_app(app: Flask) -> Flask:
    app.config["NTM_CLOCK"] = lambda: AT
    app.config["NTM_API_RATE_LIMIT"] = "100000 per minute"
    return app


def test_ownership_rows_carry_confidence_and_outstanding_fields(
    api_app: Flask, session: Session, demo: DemoData
) -> None:
    client = caller(api_app, session, holder(session, Role.COORDINATOR, unit_id=demo.province.id))

    def table(authority_id: int, set_code: str) -> list[dict[str, object]]:
        path = f"/api/v1/ownership?authority_unit_id={authority_id}&year=2025&criteria_set_id={demo.sets[set_code].id}"
        answer = client.get(path)
        assert answer.status_code == 200, answer.get_json()
        rows: list[dict[str, object]] = answer.get_json()["rows"]
        return rows

    district_level = find_criteria_set(session, "huyen-ntm-2021")
    assert district_level is not None
    demo.sets["huyen-ntm-2021"] = district_level
    district_set = table(demo.province.id, "huyen-ntm-2021")
    assert district_set and {row["confidence"] for row in district_set} == {"low"}
    fields = {
        str(row["department_code"]): row["outstanding_fields"]
        for row in table(demo.district.id, "xa-ntm-kieu-mau-2021")
    }
    assert fields["vh-tt"] == ["van-hoa", "du-lich"] and fields["nn-ptnt"] == ["san-xuat"]
    assert all(row["outstanding_fields"] is None for row in table(demo.district.id, "xa-ntm-2021"))


def test_the_front_records_supervision_through_the_api(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    front = caller(api_app, session, holder(session, Role.FRONT_OFFICER, unit_id=demo_world.units["Lê Lợi"]))
    dossier = demo_world.dossiers["Lê Lợi"]
    api_app.config["NTM_CLOCK"] = lambda: ACTING_AT  # Lê Lợi's dossier in consultation, before the reform
    empty = front.act(dossier, "record_supervision", {"comment": "  "})
    assert empty.status_code == 422
    done = front.act(dossier, "record_supervision", {"comment": "Giám sát việc niêm yết: đúng quy định."})
    assert done.status_code == 200, done.get_json()
    history = front.get(f"/api/v1/dossiers/{dossier}").get_json()["history"]
    assert history[-1]["action"] == "record_supervision"
