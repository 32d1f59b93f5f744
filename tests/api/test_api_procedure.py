"""Acceptance: a commune's NTM dossier goes from registration to recognition through the API alone, with
tokens of the demo's users (found by their roles), including a return, a resubmission and a bulk
assessment call; every change carries If-Match; every call is recorded with its token's id."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.demo import DemoData
from dossiers.models import ApiCall, ApiToken, Department, Dossier, Recognition, User
from dossiers.tokens import secret_hash
from tests.api.helpers import START, Caller, communes_with_officers, holder, token_for
from workflow.calendar import local_date
from workflow.rules import DEFAULT_RULES
from workflow.vocabulary import Role


@pytest.fixture
def clock(app: Flask) -> list[dt.datetime]:
    now = [START]
    app.config["NTM_CLOCK"] = lambda: now[0]
    app.config["NTM_API_RATE_LIMIT"] = "100000 per minute"
    return now


def test_commune_dossier_from_registration_to_recognition_through_the_api(
    app: Flask, session: Session, demo: DemoData, clock: list[dt.datetime]
) -> None:
    client = app.test_client()
    commune = communes_with_officers(session, START.date())[0]
    callers: dict[int, Caller] = {}

    def as_user(user_id: int) -> Caller:
        if user_id not in callers:
            user = session.get(User, user_id)
            assert user is not None
            callers[user_id] = Caller(client, token_for(session, user))
        return callers[user_id]

    def by_role(role: Role, **scope: int | None) -> Caller:
        return as_user(holder(session, role, **scope).id)

    def later(days: int) -> None:
        clock[0] = clock[0] + dt.timedelta(days=days)

    officer = by_role(Role.UNIT_OFFICER, unit_id=commune.id)
    front = by_role(Role.FRONT_OFFICER, unit_id=commune.id)

    # the officer finds the commune's criteria set through the API
    sets = officer.get("/api/v1/criteria-sets").get_json()["items"]
    ntm_set = next(cs for cs in sets if "commune-ntm" in cs["levels"])
    registered = officer.post(
        "/api/v1/dossiers",
        json={"unit_id": commune.id, "level": "commune-ntm", "year": 2025, "criteria_set_id": ntm_set["id"]},
    )
    assert registered.status_code == 201, registered.get_json()
    dossier = registered.get_json()
    dossier_id = dossier["id"]
    assert registered.headers["ETag"] == f'"{dossier_id}-{dossier["version"]}"'
    assert dossier["unit_id"] == commune.id and dossier["history"][0]["action"] == "register"
    coordinator = by_role(Role.COORDINATOR, unit_id=dossier["authority_unit_id"])
    approver = by_role(Role.APPROVER, unit_id=dossier["decider_unit_id"])

    # an action not allowed now: 409 with what is allowed
    premature = officer.act(dossier_id, "submit")
    assert premature.status_code == 409
    assert premature.get_json()["code"] == "action_not_allowed"
    assert isinstance(premature.get_json()["allowed_actions"], list)

    later(1)
    assert coordinator.act(dossier_id, "confirm_registration").status_code == 200

    # the whole self-assessment in one bulk call, with a stale ETag refused first (412), then the right one
    criteria = officer.get(f"/api/v1/criteria-sets/{ntm_set['id']}").get_json()["criteria"]
    codes = [i["code"] for cr in criteria for i in cr["indicators"]]
    # the commune's judgement for every indicator (values, each in its measure's type, are optional)
    entries = [{"code": code, "met": True} for code in codes]
    later(1)
    stale = officer.patch(
        f"/api/v1/dossiers/{dossier_id}/assessments",
        json={"entries": entries},
        headers={"If-Match": f'"{dossier_id}-0"'},
    )
    assert stale.status_code == 412 and stale.get_json()["code"] == "precondition_failed"
    missing = officer.patch(f"/api/v1/dossiers/{dossier_id}/assessments", json={"entries": entries})
    assert missing.status_code == 428
    etag = officer.get(f"/api/v1/dossiers/{dossier_id}/assessments").headers["ETag"]
    bulk = officer.patch(
        f"/api/v1/dossiers/{dossier_id}/assessments", json={"entries": entries}, headers={"If-Match": etag}
    )
    assert bulk.status_code == 200, bulk.get_json()
    assert len(bulk.get_json()["assessments"]) == len(codes)
    assert bulk.headers["ETag"] != etag
    # the old ETag no longer works: someone holding it cannot overwrite blindly
    assert officer.act(dossier_id, "finish_self_assessment", etag=etag).status_code == 412

    later(1)
    assert officer.act(dossier_id, "finish_self_assessment").status_code == 200
    later(1)
    day = clock[0].date()
    posting = {"start": day.isoformat(), "end": (day + dt.timedelta(days=14)).isoformat(), "announcements": 5}
    assert officer.act(dossier_id, "record_posting", posting).status_code == 200
    later(6)
    survey = {"households_total": 1200, "households_reached": 900, "households_satisfied": 860}
    assert front.act(dossier_id, "record_survey", survey).status_code == 200
    later(9)
    assert officer.act(dossier_id, "record_vote", {"votes_total": 35, "votes_in_favour": 33}).status_code == 200
    later(1)
    submitted = officer.act(dossier_id, "submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["state"] == "under_appraisal"

    # every department answers its own task; the first returns one indicator
    later(10)
    tasks = submitted.get_json()["sign_offs"]
    returned_code = None
    for task in tasks:
        if task["department_id"] is not None:
            department = session.get(Department, task["department_id"])
            assert department is not None
            answerer = by_role(Role.DEPARTMENT_OFFICER, department_id=department.id)
        else:
            answerer = coordinator
        task_codes = [item["code"] for item in task["items"]]
        if returned_code is None and task["department_id"] is not None and len(task_codes) > 1:
            returned_code = task_codes[0]
            back = answerer.act(
                dossier_id,
                "return_indicators",
                {
                    "indicators": [{"code": returned_code, "reason": "Thiếu biên bản"}],
                    "department_id": task["department_id"],
                },
            )
            assert back.status_code == 200, back.get_json()
            task_codes = task_codes[1:]
            returner = answerer
        approved = answerer.act(
            dossier_id, "approve_indicators", {"codes": task_codes, "department_id": task["department_id"]}
        )
        assert approved.status_code == 200, approved.get_json()
    assert returned_code is not None
    now_returned = officer.get(f"/api/v1/dossiers/{dossier_id}").get_json()
    assert now_returned["state"] == "returned"
    (request,) = now_returned["supplement_requests"]
    assert [item["code"] for item in request["items"]] == [returned_code]

    # the commune corrects and resubmits; only what was returned is appraised again
    later(3)
    fix = [{"code": returned_code, "met": True, "note": "Đã bổ sung biên bản"}]
    etag = officer.get(f"/api/v1/dossiers/{dossier_id}").headers["ETag"]
    assert (
        officer.patch(
            f"/api/v1/dossiers/{dossier_id}/assessments", json={"entries": fix}, headers={"If-Match": etag}
        ).status_code
        == 200
    )
    resubmitted = officer.act(dossier_id, "resubmit")
    assert resubmitted.status_code == 200, resubmitted.get_json()
    later(2)
    assert returner.act(dossier_id, "approve_indicators", {"codes": [returned_code]}).status_code == 200
    assert officer.get(f"/api/v1/dossiers/{dossier_id}").get_json()["state"] == "appraised"

    # the conditions of QĐ 18/2022, confirmed by the departments in charge
    later(1)
    authority = dossier["authority_unit_id"]
    for condition, department_codes in DEFAULT_RULES.condition_confirmers.items():
        department = session.scalars(
            select(Department).where(Department.unit_id == authority, Department.code.in_(department_codes))
        ).first()
        assert department is not None, condition
        confirmer = by_role(Role.DEPARTMENT_OFFICER, department_id=department.id)
        confirmed = confirmer.act(dossier_id, "confirm_condition", {"condition": condition, "holds": True})
        assert confirmed.status_code == 200, confirmed.get_json()
    later(1)
    assert coordinator.act(dossier_id, "forward").status_code == 200
    later(1)
    signed = local_date(clock[0]).isoformat()
    recognised = approver.act(dossier_id, "recognise", {"decision_number": "123/QĐ-UBND", "decision_date": signed})
    assert recognised.status_code == 200, recognised.get_json()
    body = recognised.get_json()
    assert body["state"] == "recognised"
    assert [event["action"] for event in body["history"]][-1] == "recognise"

    session.expire_all()
    stored = session.get(Dossier, dossier_id)
    assert stored is not None and stored.state == "recognised"
    recognition = session.scalars(select(Recognition).where(Recognition.dossier_id == dossier_id)).one()
    assert recognition.decision_number == "123/QĐ-UBND" and recognition.decided_on.isoformat() == signed
    # every call was recorded with the token that made it
    calls = session.scalars(select(ApiCall).where(ApiCall.dossier_id == dossier_id)).all()
    token_ids = set(
        session.scalars(
            select(ApiToken.id).where(ApiToken.secret_hash.in_([secret_hash(c.secret) for c in callers.values()]))
        )
    )
    assert len(token_ids) == len(callers) >= 6
    assert {call.token_id for call in calls} == token_ids
    assert any(call.endpoint.endswith("/actions/recognise") and call.status == 200 for call in calls)
