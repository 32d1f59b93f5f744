"""Sign-in throttled per account and address, sessions that end, the password rule, accounts for admins."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

import dossiers.accounts
from dossiers.accounts import PasswordRejectedError, password_problems, reset_password, verify_sign_in
from dossiers.models import User
from tests.web.accounts import PASSWORD, make_accounts, sign_in

NEW_PASSWORD = "mua-thu-ha-noi-lua-chin"


@pytest.fixture
def users(session: Session) -> dict[str, User]:
    return make_accounts(session)


def test_the_eleventh_wrong_password_is_refused_with_the_time_to_wait(
    client: FlaskClient, users: dict[str, User]
) -> None:
    for _ in range(10):
        assert sign_in(client, "canbo", "sai-mat-khau") == 401
    refused = client.post("/dang-nhap", data={"username": "canbo", "password": PASSWORD})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Đăng nhập sai quá nhiều lần" in page and "phút" in page
    assert 'value="canbo"' in page  # what they typed is kept
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert sign_in(client, "quantri") == 302  # another account is not locked by it


def test_signing_in_does_not_count_against_the_limit(client: FlaskClient, users: dict[str, User]) -> None:
    for _ in range(12):
        assert sign_in(client, "canbo") == 302


def test_one_address_trying_many_accounts_is_throttled(client: FlaskClient, users: dict[str, User]) -> None:
    for number in range(30):
        assert sign_in(client, f"khong-ton-tai-{number}", "sai") == 401
    assert sign_in(client, "canbo") == 429


def test_limits_do_not_leak_between_apps(client: FlaskClient, users: dict[str, User]) -> None:
    for _ in range(10):
        assert sign_in(client, "canbo", "sai") == 401
    # the next test's app starts with no counts: see test_signing_in_does_not_count_against_the_limit


def test_an_unknown_account_costs_the_same_hash_check(
    session: Session, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = dossiers.accounts.check_password_hash

    def counting(hash_: str, password: str) -> bool:
        checked.append(password)
        return real(hash_, password)

    monkeypatch.setattr(dossiers.accounts, "check_password_hash", counting)
    assert verify_sign_in(session, "khong-ai-ca", "mat-khau") is None
    assert checked == ["mat-khau"]


def test_the_same_cookie_is_refused_after_sign_out(app: Flask, users: dict[str, User]) -> None:
    client = app.test_client()
    assert sign_in(client, "canbo") == 302
    copy = client.get_cookie("session")
    assert copy is not None
    assert client.get("/viec-cua-toi").status_code == 200
    assert client.post("/dang-xuat").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", copy.value)
    response = thief.get("/viec-cua-toi")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app: Flask, users: dict[str, User]) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    assert sign_in(here, "canbo") == 302 and sign_in(elsewhere, "canbo") == 302
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert here.post("/tai-khoan/mat-khau", data=form).status_code == 302
    assert here.get("/viec-cua-toi").status_code == 200
    assert elsewhere.get("/viec-cua-toi").status_code == 302
    assert sign_in(app.test_client(), "canbo") == 401
    assert sign_in(app.test_client(), "canbo", NEW_PASSWORD) == 302


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current": "sai", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "Mật khẩu hiện tại không đúng."),
        ({"current": PASSWORD, "new": "ngan", "confirm": "ngan"}, "ít nhất 10 ký tự"),
        ({"current": PASSWORD, "new": "password123", "confirm": "password123"}, "quá dễ đoán"),
        ({"current": PASSWORD, "new": "canbo12345", "confirm": "canbo12345"}, "quá dễ đoán"),
        ({"current": PASSWORD, "new": NEW_PASSWORD, "confirm": "khac"}, "không khớp"),
    ],
)
def test_a_refused_password_change_says_why(
    client: FlaskClient, users: dict[str, User], form: dict[str, str], message: str
) -> None:
    assert sign_in(client, "canbo") == 302
    response = client.post("/tai-khoan/mat-khau", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert client.get("/viec-cua-toi").status_code == 200  # still signed in, nothing changed


def test_the_password_rule() -> None:
    assert password_problems("hoa-sen-nuoc-chay-2025") == []
    assert password_problems("123456789") != []
    assert password_problems("x" * 200) != []
    assert password_problems("nguyenvana2025", user_inputs=["nguyenvana"]) != []


def test_an_admin_resets_a_password_and_locks_an_account(app: Flask, users: dict[str, User]) -> None:
    officer, admin = app.test_client(), app.test_client()
    assert sign_in(officer, "canbo") == 302 and sign_in(admin, "quantri") == 302
    page = admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert "canbo" in page and "Đặt lại" in page
    weak = admin.post(f"/quan-tri/nguoi-dung/{users['canbo'].id}/mat-khau", data={"password": "123"})
    assert weak.status_code == 422 and "ít nhất 10 ký tự" in weak.get_data(as_text=True)
    assert officer.get("/viec-cua-toi").status_code == 200

    assert (
        admin.post(f"/quan-tri/nguoi-dung/{users['canbo'].id}/mat-khau", data={"password": NEW_PASSWORD}).status_code
        == 302
    )
    assert officer.get("/viec-cua-toi").status_code == 302  # signed out
    assert sign_in(officer, "canbo", NEW_PASSWORD) == 302

    assert admin.post(f"/quan-tri/nguoi-dung/{users['canbo'].id}/trang-thai", data={"active": "0"}).status_code == 302
    assert officer.get("/viec-cua-toi").status_code == 302
    assert sign_in(officer, "canbo", NEW_PASSWORD) == 401
    assert admin.post(f"/quan-tri/nguoi-dung/{users['canbo'].id}/trang-thai", data={"active": "1"}).status_code == 302
    assert sign_in(officer, "canbo", NEW_PASSWORD) == 302
    assert officer.get("/quan-tri/nguoi-dung").status_code == 403


def test_ntm_users_commands(runner: FlaskCliRunner, session: Session, users: dict[str, User]) -> None:
    assert "canbo" in runner.invoke(args=["users", "list"]).output
    weak = runner.invoke(args=["users", "set-password", "canbo", "--password", "abc"])
    assert weak.exit_code != 0 and "ít nhất 10 ký tự" in weak.output
    done = runner.invoke(args=["users", "set-password", "canbo", "--password", NEW_PASSWORD])
    assert done.exit_code == 0, done.output
    assert runner.invoke(args=["users", "deactivate", "canbo"]).exit_code == 0
    session.expire_all()
    canbo = session.get(User, users["canbo"].id)
    assert canbo is not None and not canbo.active and canbo.check_password(NEW_PASSWORD)
    assert runner.invoke(args=["users", "set-password", "khong-co", "--password", NEW_PASSWORD]).exit_code != 0


def test_reset_by_someone_not_admin_is_refused(session: Session, users: dict[str, User]) -> None:
    from workflow.errors import NotPermitted

    with pytest.raises(NotPermitted):
        reset_password(session, users["canbo"], users["quantri"], NEW_PASSWORD)
    with pytest.raises(PasswordRejectedError):
        reset_password(session, users["quantri"], users["canbo"], "quantri")


def test_an_idle_session_ends(app: Flask, users: dict[str, User]) -> None:
    client = app.test_client()
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        assert sign_in(client, "canbo") == 302
    with time_machine.travel(start + dt.timedelta(minutes=59), tick=False):
        assert client.get("/viec-cua-toi").status_code == 200  # a request renews the session
    with time_machine.travel(start + dt.timedelta(minutes=59 + 61), tick=False):
        assert client.get("/viec-cua-toi").status_code == 302


def test_sign_in_renews_the_csrf_token(app: Flask, users: dict[str, User]) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    with client.session_transaction() as before:
        raw_before = before["csrf_token"]
    response = client.post("/dang-nhap", data={"username": "canbo", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    with client.session_transaction() as after:
        assert after.get("csrf_token") != raw_before
        assert "_fresh" in after and after.permanent


def test_a_name_no_account_can_have_is_not_found(client: FlaskClient, users: dict[str, User]) -> None:
    for name in ("can\x00bo", "a" * 81, "can\tbo"):
        assert sign_in(client, name) == 401  # PostgreSQL refused the NUL: it was a 500
