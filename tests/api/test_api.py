"""The API's rules one at a time: tokens (refused at once when revoked, expired or locked; never stored or
logged in clear), the same "who may" as the pages (no dossier across communes), strict input and one
error shape, ETag/If-Match, limits per token, languages, evidence, reference data and the spec."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from flask import Flask
from openapi_spec_validator import validate
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers import tokens
from dossiers.models import ApiCall, ApiToken, Dossier, User
from tests.api.helpers import Caller, holder, token_for
from tests.demo_database import DemoWorld
from workflow.vocabulary import Role

AT = dt.datetime(2025, 9, 15, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def api_app(app: Flask) -> Flask:
    app.config["NTM_CLOCK"] = lambda: AT
    app.config["NTM_API_RATE_LIMIT"] = "100000 per minute"
    return app


def officer_of(session: Session, world: DemoWorld, name: str) -> User:
    return holder(session, Role.UNIT_OFFICER, unit_id=world.units[name])


def caller(app: Flask, session: Session, user: User) -> Caller:
    return Caller(app.test_client(), token_for(session, user, AT))


# --- tokens -------------------------------------------------------------------------------------------


def test_revoked_expired_and_locked_tokens_are_refused_at_once(
    api_app: Flask, session: Session, demo_world: DemoWorld
) -> None:
    user = officer_of(session, demo_world, "Vân Trình")
    issued = tokens.issue_token(session, None, user, AT, name="cổng", days=1)
    session.commit()
    client = Caller(api_app.test_client(), issued.secret)
    assert client.get("/api/v1/me").status_code == 200

    tokens.revoke_token(session, user, issued.token.id, AT)
    session.commit()
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthenticated"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")

    later = tokens.issue_token(session, None, user, AT, name="cổng 2", days=1)
    session.commit()
    client = Caller(api_app.test_client(), later.secret)
    assert client.get("/api/v1/me").status_code == 200
    api_app.config["NTM_CLOCK"] = lambda: AT + dt.timedelta(days=1)  # the moment it expires
    assert client.get("/api/v1/me").status_code == 401
    api_app.config["NTM_CLOCK"] = lambda: AT
    assert client.get("/api/v1/me").status_code == 200
    user.active = False
    session.commit()
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer ", "Basic eGE6eA==", "Bearer ntm_not-a-token", "Bearer " + "x" * 5000]
)
def test_calls_without_a_live_token_are_401(api_app: Flask, header: str | None) -> None:
    response = api_app.test_client().get("/api/v1/dossiers", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert set(response.get_json()) == {"status", "code", "message", "errors"}


def test_tokens_are_stored_hashed_and_never_logged(
    api_app: Flask, session: Session, connection: Connection, demo_world: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    user = officer_of(session, demo_world, "Vân Trình")
    client = caller(api_app, session, user)
    with caplog.at_level(logging.DEBUG):
        assert client.get("/api/v1/me").status_code == 200
        assert client.get("/api/v1/dossiers/999999").status_code == 404
    assert client.secret not in caplog.text
    row = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.secret_hash == tokens.secret_hash(client.secret) and row.prefix == client.secret[:8]
    dump = connection.execute(text("SELECT * FROM api_tokens")).all()
    assert client.secret not in repr(dump)
    # every call recorded with the token's id
    calls = session.scalars(select(ApiCall).where(ApiCall.token_id == row.id).order_by(ApiCall.id)).all()
    assert [(c.method, c.endpoint, c.status) for c in calls] == [
        ("GET", "/api/v1/me", 200),
        ("GET", "/api/v1/dossiers/<int:dossier_id>", 404),
    ]
    session.refresh(row)
    assert row.last_used_at == AT


def test_the_token_page_shows_a_new_secret_once_and_revokes(
    api_app: Flask, session: Session, demo_world: DemoWorld
) -> None:
    from tests.web.workspace_demo import sign_in

    user = officer_of(session, demo_world, "Vân Trình")
    client = api_app.test_client()
    sign_in(client, user.username)
    made = client.post("/tai-khoan/khoa-api", data={"name": "Cổng dịch vụ công", "days": "30"})
    assert made.status_code == 201
    page = made.get_data(as_text=True)
    secret = page.split('id="new-token"')[1].split("<code>")[1].split("</code>")[0]
    assert secret.startswith("ntm_")
    assert Caller(api_app.test_client(), secret).get("/api/v1/me").get_json()["username"] == user.username
    listing = client.get("/tai-khoan/khoa-api").get_data(as_text=True)
    assert secret not in listing and secret[:8] in listing and "Cổng dịch vụ công" in listing
    assert client.post("/tai-khoan/khoa-api", data={"name": "", "days": "9999"}).status_code == 422
    token = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    # someone else cannot revoke it
    other = api_app.test_client()
    sign_in(other, officer_of(session, demo_world, "Lê Lợi").username)
    assert other.post(f"/tai-khoan/khoa-api/{token.id}/thu-hoi").status_code == 404
    assert client.post(f"/tai-khoan/khoa-api/{token.id}/thu-hoi").status_code == 302
    assert Caller(api_app.test_client(), secret).get("/api/v1/me").status_code == 401


def test_the_cli_makes_lists_and_revokes_tokens(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    user = officer_of(session, demo_world, "Vân Trình")
    runner = api_app.test_cli_runner()
    made = runner.invoke(args=["tokens", "create", user.username, "--name", "báo cáo", "--days", "7"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("ntm_")
    listed = runner.invoke(args=["tokens", "list", user.username])
    assert secret[:8] in listed.output and secret not in listed.output
    token_id = session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 0
    assert "thu hồi" in runner.invoke(args=["tokens", "list"]).output
    assert runner.invoke(args=["tokens", "revoke", "999999"]).exit_code != 0


# --- who may -------------------------------------------------------------------------------------------


def test_a_commune_officer_sees_nothing_of_another_commune(
    api_app: Flask, session: Session, demo_world: DemoWorld
) -> None:
    mine, theirs = demo_world.dossiers["Vân Trình"], demo_world.dossiers["Lê Lợi"]
    client = caller(api_app, session, officer_of(session, demo_world, "Vân Trình"))
    listed = client.get("/api/v1/dossiers?per_page=100").get_json()
    assert [d["id"] for d in listed["items"]] == [mine] and listed["total"] == 1
    for path in ("", "/assessments", "/evidence", "/evidence/1/content"):
        response = client.get(f"/api/v1/dossiers/{theirs}{path}")
        assert response.status_code == 404, path  # as if it did not exist
        assert response.get_json()["code"] == "not_found"
    acted = client.act(theirs, "withdraw", etag=f'"{theirs}-1"')
    assert acted.status_code == 404
    assert client.get(f"/api/v1/dossiers?unit_id={demo_world.units['Lê Lợi']}").get_json()["items"] == []
    # a district's coordinator reads both
    coordinator = caller(
        api_app, session, holder(session, Role.COORDINATOR, unit_id=session.get(Dossier, theirs).authority_unit_id)
    )  # type: ignore[union-attr]
    ids = {d["id"] for d in coordinator.get("/api/v1/dossiers?per_page=100").get_json()["items"]}
    assert {mine, theirs} <= ids


# --- input, errors, ETags, limits, languages ----------------------------------------------------------


def test_strict_input_and_one_error_shape(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]
    client = caller(api_app, session, officer_of(session, demo_world, "Vân Trình"))
    etag = client.get(f"/api/v1/dossiers/{dossier_id}").headers["ETag"]
    path = f"/api/v1/dossiers/{dossier_id}/assessments"
    unknown = client.patch(
        path, json={"entries": [{"code": "1.1", "met": True}], "extra": 1}, headers={"If-Match": etag}
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["code"] == "validation_error" and "extra" in unknown.get_json()["errors"]
    typed = client.patch(path, json={"entries": [{"code": "1.1", "met": "yes"}]}, headers={"If-Match": etag})
    assert typed.status_code == 422 and "entries.0.met" in typed.get_json()["errors"]
    broken = client.patch(path, data="{not json", content_type="application/json", headers={"If-Match": etag})
    assert broken.status_code == 400 and broken.get_json()["code"] == "bad_request"
    ranges = client.get("/api/v1/dossiers?per_page=1000&page=0")
    assert ranges.status_code == 422 and {"query.per_page", "query.page"} <= set(ranges.get_json()["errors"])
    assert client.get("/api/v1/dossiers?sort=id").status_code == 422  # unknown query parameters too
    survey = client.act(
        dossier_id, "record_survey", {"households_total": 10, "households_reached": 20, "households_satisfied": 1}
    )
    assert survey.status_code == 422 and "households_reached" in survey.get_json()["errors"]
    # a condition of the action that does not hold: 422 with what is missing
    finish = client.act(dossier_id, "finish_self_assessment")
    assert finish.status_code == 422 and finish.get_json()["code"] == "guard_failed"
    assert finish.get_json()["errors"]["_request"]
    assert client.get("/api/v1/khong-co").status_code == 404


def test_english_on_request_and_vietnamese_by_default(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]
    client = caller(api_app, session, officer_of(session, demo_world, "Vân Trình"))
    vi = client.act(dossier_id, "forward").get_json()
    en = client.post(
        f"/api/v1/dossiers/{dossier_id}/actions/forward",
        json={},
        headers={"If-Match": "*", "Accept-Language": "en-GB,en;q=0.9"},
    ).get_json()
    assert vi["code"] == en["code"] == "action_not_allowed" and vi["allowed_actions"] == en["allowed_actions"]
    assert vi["message"].startswith("Hồ sơ đang ở trạng thái «")
    assert en["message"].startswith("The dossier is “self_assessment”: “forward” cannot be done.")
    missing = client.get("/api/v1/dossiers/2147483647", headers={"Accept-Language": "en"}).get_json()
    assert missing["message"] == "The page or data asked for was not found."


def test_the_etag_protects_against_blind_overwrites(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]
    one = caller(api_app, session, officer_of(session, demo_world, "Vân Trình"))
    two = caller(api_app, session, officer_of(session, demo_world, "Vân Trình"))
    seen = one.get(f"/api/v1/dossiers/{dossier_id}").headers["ETag"]
    assert two.get(f"/api/v1/dossiers/{dossier_id}").headers["ETag"] == seen
    body = {"entries": [{"code": "1.1", "met": True, "value": "Đạt"}]}
    first = one.patch(f"/api/v1/dossiers/{dossier_id}/assessments", json=body, headers={"If-Match": seen})
    assert first.status_code == 200 and first.headers["ETag"] != seen
    second = two.patch(f"/api/v1/dossiers/{dossier_id}/assessments", json=body, headers={"If-Match": seen})
    assert second.status_code == 412 and second.get_json()["code"] == "precondition_failed"
    assert two.patch(f"/api/v1/dossiers/{dossier_id}/assessments", json=body).status_code == 428


def test_calls_are_limited_per_token(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    api_app.config["NTM_API_RATE_LIMIT"] = "3 per minute"
    user = officer_of(session, demo_world, "Vân Trình")
    one, two = caller(api_app, session, user), caller(api_app, session, user)
    assert [one.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = one.get("/api/v1/me")
    assert limited.status_code == 429 and limited.get_json()["code"] == "rate_limited"
    assert two.get("/api/v1/me").status_code == 200  # another token has its own count


# --- evidence, reference data, the spec ---------------------------------------------------------------


def test_evidence_upload_list_and_download(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]
    client = caller(api_app, session, officer_of(session, demo_world, "Vân Trình"))
    etag = client.get(f"/api/v1/dossiers/{dossier_id}").headers["ETag"]
    pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    sent = client.client.post(
        f"/api/v1/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(pdf), "bien-ban.pdf", "application/pdf"), "code": "1.1"},
        headers=client.headers({"If-Match": etag}),
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_json()
    evidence = sent.get_json()
    assert evidence["code"] == "1.1" and evidence["size"] == len(pdf) and sent.headers["ETag"] != etag
    listed = client.get(f"/api/v1/dossiers/{dossier_id}/evidence").get_json()["items"]
    assert evidence["id"] in [e["id"] for e in listed]
    got = client.get(f"/api/v1/dossiers/{dossier_id}/evidence/{evidence['id']}/content")
    assert got.status_code == 200 and got.data == pdf and "attachment" in got.headers["Content-Disposition"]
    stale = client.client.post(
        f"/api/v1/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(pdf), "b.pdf")},
        headers=client.headers({"If-Match": etag}),
        content_type="multipart/form-data",
    )
    assert stale.status_code == 412
    nothing = client.client.post(
        f"/api/v1/dossiers/{dossier_id}/evidence", data={"code": "1.1"}, headers=client.headers({"If-Match": "*"})
    )
    assert nothing.status_code == 422 and "file" in nothing.get_json()["errors"]


def test_reference_data_decisions_and_obligations(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    under_appraisal = session.get(Dossier, demo_world.dossiers["Đức Xuân"])
    assert under_appraisal is not None
    client = caller(api_app, session, holder(session, Role.COORDINATOR, unit_id=under_appraisal.authority_unit_id))
    units = client.get(
        f"/api/v1/units?parent_id={under_appraisal.authority_unit_id}&kind=commune&per_page=100"
    ).get_json()
    assert under_appraisal.unit_id in [u["id"] for u in units["items"]]
    assert client.get(f"/api/v1/units/{under_appraisal.unit_id}").get_json()["kind"] == "commune"
    criteria_set = client.get(f"/api/v1/criteria-sets/{under_appraisal.criteria_set_id}").get_json()
    assert criteria_set["criteria"] and criteria_set["criteria"][0]["indicators"]
    table = client.get(
        f"/api/v1/ownership?authority_unit_id={under_appraisal.authority_unit_id}&year=2025"
        f"&criteria_set_id={under_appraisal.criteria_set_id}"
    ).get_json()
    assert table["rows"]
    department_id = table["rows"][0]["department_id"]
    decisions = client.get(f"/api/v1/departments/{department_id}/decisions?year=2025&per_page=100").get_json()
    assert under_appraisal.id in {d["dossier_id"] for d in decisions["items"]}
    # a commune officer sees only its own dossiers' decisions, and only its own obligations
    officer = caller(api_app, session, officer_of(session, demo_world, "Vân Trình"))
    theirs = officer.get(f"/api/v1/departments/{department_id}/decisions?per_page=100").get_json()["items"]
    assert {d["unit_id"] for d in theirs} <= {demo_world.units["Vân Trình"]}
    owed = officer.get("/api/v1/obligations?year=2025&per_page=100").get_json()
    assert all(o["unit_id"] in (None, demo_world.units["Vân Trình"]) for o in owed["items"])
    assert officer.get(f"/api/v1/obligations?year=2025&unit_id={demo_world.units['Lê Lợi']}").status_code == 403
    assert client.get("/api/v1/obligations?year=2025").get_json()["total"] >= 1


def test_the_spec_is_valid_openapi_and_browsable_without_scripts(app: Flask) -> None:
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert {"bearerAuth"} == set(spec["components"]["securitySchemes"])
    assert "/api/v1/dossiers/{dossier_id}/actions/submit" in spec["paths"]
    page = client.get("/api/docs")
    assert page.status_code == 200 and "<script" not in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "/api/v1/dossiers/{dossier_id}/assessments" in page.get_data(as_text=True)
