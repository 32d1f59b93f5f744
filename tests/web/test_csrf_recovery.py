"""A form whose CSRF token is missing or expired comes back with what was typed and a message to send it again."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, TODAY_AT, form_html, fresh, sign_in, version_in
from web.csrf_recovery import DOSSIER_FORMS

AGAIN = "vui lòng kiểm tra rồi gửi lại"


@pytest.fixture
def world(demo_world: DemoWorld) -> DemoWorld:
    """The demo with its 2025 dossiers, loaded once per test session (see tests/conftest.py)."""
    return demo_world


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def test_every_workspace_form_route_is_covered(app: Flask) -> None:
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("workspace.") and "POST" in (rule.methods or set())
    }
    assert posts - set(DOSSIER_FORMS) == {"workspace.register", "workspace.inbox_answer"}  # their own pages


def test_sign_in_comes_back_with_the_name_typed(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/dang-nhap", data={"username": "xa.leloi", "password": "x", "csrf_token": "cu"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert AGAIN in page and 'value="xa.leloi"' in page and 'name="csrf_token"' in page


@pytest.mark.parametrize(
    ("who", "path", "form_id", "data", "kept"),
    [
        ("mttq.leloi", "lay-y-kien", "form-survey",
         {"households_total": "1234", "households_reached": "1200", "households_satisfied": "1100"}, 'value="1234"'),
        ("xa.leloi", "thao-tac", "form-submit", {"action": "submit", "comment": "Xin trình hồ sơ"}, "Xin trình hồ sơ"),
        ("xa.leloi", "tu-danh-gia", "ghi-danh-gia", {"code": "1.1", "met": "1", "value": "Đã lập quy hoạch"},
         'value="Đã lập quy hoạch"'),
    ],
)  # fmt: skip
def test_a_dossier_form_comes_back_with_what_was_typed(
    app: Flask, client: FlaskClient, world: DemoWorld, session: Session,
    who: str, path: str, form_id: str, data: dict[str, str], kept: str,
) -> None:  # fmt: skip
    le_loi = world.dossiers["Lê Lợi"]
    sign_in(client, who)
    version = version_in(client.get(f"/ho-so/{le_loi}").get_data(as_text=True), form_id)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/ho-so/{le_loi}/{path}", data={"version": str(version), **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert AGAIN in page
    assert kept in form_html(page, form_id)
    assert fresh(session, le_loi).version == version


def test_the_registration_form_comes_back(app: Flask, client: FlaskClient, demo_today: DemoWorld) -> None:
    app.config["NTM_CLOCK"] = lambda: TODAY_AT
    unit = demo_today.new_units["Minh Khai"]
    sign_in(client, "xa2025.minhkhai")
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/don-vi/{unit}/dang-ky", data={"level": "xa_ntm", "year": "2031", "criteria_set": "1"})
    assert response.status_code == 400
    assert 'value="2031"' in form_html(response.get_data(as_text=True), "form-register")


def test_a_signed_out_form_asks_to_sign_in_again(app: Flask, world: DemoWorld) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(f"/ho-so/{world.dossiers['Lê Lợi']}/lay-y-kien", data={"version": "1"})
    assert response.status_code == 400 and "đăng nhập lại" in response.get_data(as_text=True)
