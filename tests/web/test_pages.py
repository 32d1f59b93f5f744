"""The unit directory and sign-in, through the Flask test client."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dossiers.demo import DEMO_PASSWORD, DemoData

SEED_004_COMMUNES = [
    "Lê Lai", "Đức Long", "Đức Xuân", "Lê Lợi", "Vân Trình", "Canh Tân", "Thái Cường",
    "Minh Khai", "Thụy Hùng", "Quang Trọng", "Trọng Con", "Kim Đồng", "Đức Thông",
]  # fmt: skip


def sign_in(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> int:
    return client.post("/dang-nhap", data={"username": username, "password": password}).status_code


def test_the_district_page_lists_its_13_communes(client: FlaskClient, demo: DemoData) -> None:
    page = client.get(f"/don-vi/{demo.district.id}").get_data(as_text=True)
    assert "Huyện Thạch An" in page
    rows = page.split('<table id="children">')[1].split("</table>")[0]
    for name in SEED_004_COMMUNES:
        assert f">{name}</a></td><td>Xã</td>" in rows
    assert rows.count("<td>Xã</td>") == 13
    assert "<td>Thị trấn</td>" in rows  # Đông Khê, the district town


def test_the_home_page_shows_the_province_with_and_without_district(client: FlaskClient, demo: DemoData) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Tỉnh Cao Bằng" in page
    assert f"/don-vi/{demo.district.id}" in page
    assert "đến 30/06/2025" in page  # the district tier ended with the reform
    assert f"/don-vi/{demo.new_communes['Thạch An'].id}" in page  # commune directly under the province


def test_a_merged_commune_shows_what_it_was_formed_from(client: FlaskClient, demo: DemoData) -> None:
    page = client.get(f"/don-vi/{demo.new_communes['Thạch An'].id}").get_data(as_text=True)
    assert "Hình thành từ" in page and "Vân Trình" in page and "Lê Lai" in page


@pytest.mark.usefixtures("demo")
def test_sign_in_with_demo_password_and_wrong_password(client: FlaskClient) -> None:
    response = client.post("/dang-nhap", data={"username": "xa.lelai", "password": "sai"})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert sign_in(client, "xa.lelai") == 302


@pytest.mark.usefixtures("demo")
def test_sign_in_never_redirects_to_another_host(client: FlaskClient) -> None:
    response = client.post(
        "/dang-nhap?next=https://evil.example/", data={"username": "xa.lelai", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/viec-cua-toi"  # everyone lands on their work


def test_unknown_pages_get_a_vietnamese_404_and_the_api_gets_json(client: FlaskClient) -> None:
    page = client.get("/don-vi/999999")
    assert page.status_code == 404
    assert "Không tìm thấy" in page.get_data(as_text=True)
    api = client.get("/api/khong-co")
    assert api.status_code == 404
    assert api.get_json()["status"] == 404 and api.get_json()["code"] == "not_found"


def test_a_dossier_page_needs_sign_in(client: FlaskClient) -> None:
    response = client.get("/ho-so/1")
    assert response.status_code == 302
    assert "/dang-nhap" in response.headers["Location"]


@pytest.mark.usefixtures("demo")
def test_forms_without_the_csrf_token_are_refused(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/dang-nhap", data={"username": "xa.lelai", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ." in response.get_data(as_text=True)
