"""What every request and response goes through: the secret key, headers, cookies, ids in URLs, error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from dossiers.settings import MissingSecretKeyError, Settings
from tests.web.accounts import make_accounts, sign_in
from web import create_app
from web.session import request_session

OUT_OF_RANGE = ("0", "-1", "2147483648", "99999999999999999999")


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings.from_env({"NTM_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    assert settings.environment == "production"
    with pytest.raises(MissingSecretKeyError, match="SECRET_KEY is not set"):
        create_app(settings)


def test_development_keeps_a_random_key_in_the_instance_folder(tmp_path: Path) -> None:
    env = {"NTM_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://", "NTM_ENV": "development"}
    first = create_app(Settings.from_env(env)).config["SECRET_KEY"]
    second = create_app(Settings.from_env(env)).config["SECRET_KEY"]
    assert first == second == (tmp_path / "secret_key").read_text().strip()
    assert len(first) >= 40 and first != "dev-not-secret"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only
    other = create_app(Settings.from_env({**env, "NTM_INSTANCE_PATH": str(tmp_path / "other")}))
    assert other.config["SECRET_KEY"] != first


def test_a_set_secret_key_is_used(tmp_path: Path) -> None:
    env = {"NTM_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://", "SECRET_KEY": "k" * 48}
    assert create_app(Settings.from_env(env)).config["SECRET_KEY"] == "k" * 48


SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


def _check_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name in SECURITY_HEADERS:
        assert name in headers, f"{name} missing on {response}"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_every_response_carries_the_security_headers(client: FlaskClient, session: Session) -> None:
    make_accounts(session)
    responses = [
        client.get("/"),
        client.get("/dang-nhap"),
        client.get("/khong-co"),
        client.get("/ho-so/1"),  # redirect to sign-in
        client.get("/static/site.css"),
        client.post("/dang-nhap", data={"username": "canbo", "password": "sai"}),
        client.delete("/"),
    ]
    assert sign_in(client, "canbo") == 302
    responses += [client.get("/viec-cua-toi"), client.get("/quan-tri/thu-dien-tu"), client.get("/don-vi/0")]
    assert [r.status_code for r in responses] == [200, 200, 404, 302, 200, 401, 405, 200, 403, 404]
    for response in responses:
        _check_headers(response)
        response.close()  # the static file's handle
    assert "Strict-Transport-Security" not in responses[0].headers  # plain HTTP: no HSTS


def test_https_adds_hsts_and_secure_cookies(settings: Settings, client: FlaskClient) -> None:
    app = create_app(Settings(**{**settings.__dict__, "https": True}), TESTING=True)
    https = app.test_client()
    response = https.get("/dang-nhap", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert https.get("/", base_url="http://localhost").status_code == 302  # sent to https
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["ntm_database"].engine.dispose()


def test_pages_hold_no_inline_script_or_style() -> None:
    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    for template in templates.glob("*.html"):
        source = template.read_text(encoding="utf-8")
        # scripts only as files of this site (<script src=…></script>), never code in the page
        assert not re.search(r"<script(?![^>]*\bsrc=)|<script[^>]*>[^<]+</script>", source), template.name
        assert "<style" not in source, template.name
        assert not re.search(r"\sstyle=|\son[a-z]+=|javascript:", source), template.name


def test_the_session_cookie_is_http_only_and_same_site(client: FlaskClient, session: Session) -> None:
    make_accounts(session)
    response = client.post("/dang-nhap", data={"username": "canbo", "password": "hoa-sen-nuoc-chay-2025"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def _id_routes(app: Flask) -> list[tuple[str, str, list[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        params = [name for name, converter in rule._converters.items() if converter.__class__.__name__ == "IdConverter"]
        if params:
            found.append((rule.rule, sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})[0], params))
    return found


def test_every_id_in_every_route_is_bounded(app: Flask, client: FlaskClient, session: Session) -> None:
    routes = _id_routes(app)
    assert len(routes) >= 10
    assert not [
        r.rule for r in app.url_map.iter_rules() if "<int:" in r.rule and r.rule not in dict((x[0], 1) for x in routes)
    ]
    make_accounts(session)
    for who in (None, "quantri"):
        if who:
            assert sign_in(client, who) == 302
        for rule, method, params in routes:
            for param in params:
                for value in OUT_OF_RANGE:
                    url = rule
                    for other in params:
                        url = url.replace(f"<int:{other}>", value if other == param else "1")
                    response = client.open(url, method=method)
                    assert response.status_code == 404, f"{method} {url} as {who}: {response.status_code}"
                    assert "Không tìm thấy" in response.get_data(as_text=True)


def test_an_unexpected_error_gets_a_vietnamese_page_signed_in_or_not(app: Flask, session: Session) -> None:
    make_accounts(session)

    @app.get("/loi-thu")
    def broken() -> str:
        request_session().execute(text("select * from no_such_table"))  # a failed statement, as a 500 would be
        return "never"

    client = app.test_client()
    for who in (None, "canbo"):
        if who:
            assert sign_in(client, who) == 302
        response = client.get("/loi-thu")
        page = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Đã xảy ra lỗi hệ thống" in page and "Internal Server Error" not in page
        if who:
            assert "Cán bộ Thử" in page  # the whole page, with who is signed in
        _check_headers(response)
