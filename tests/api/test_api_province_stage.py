"""The Sở's appraisal stage through the API: the allowed actions name it, the supplement request needs its
content (one error shape), the district resubmits, the Sở passes the dossier to the chairman."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import Dossier, User
from tests.api.helpers import Caller, token_for
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT


@pytest.fixture
def api_app(app: Flask) -> Flask:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT
    app.config["NTM_API_RATE_LIMIT"] = "100000 per minute"
    return app


def caller(app: Flask, session: Session, username: str) -> Caller:
    user = session.scalars(select(User).where(User.username == username)).one()
    return Caller(app.test_client(), token_for(session, user, ACTING_AT))


def test_the_stage_through_the_api(api_app: Flask, session: Session, demo_world: DemoWorld) -> None:
    # Lê Lai's dossier, forwarded by huyện Thạch An, as if Cao Bằng's rules had the Sở's stage (a fixture)
    le_lai = demo_world.dossiers["Lê Lai"]
    dossier = session.get(Dossier, le_lai)
    assert dossier is not None
    dossier.route, dossier.state = "commune-via-district-and-province", "provincial_appraisal"
    session.commit()
    so = caller(api_app, session, "dieuphoi.caobang")
    district = caller(api_app, session, "dieuphoi.thachan")

    read = so.get(f"/api/v1/dossiers/{le_lai}").get_json()
    assert read["state"] == "provincial_appraisal"
    assert set(read["allowed_actions"]) == {"appraise_at_province", "request_supplement"}
    assert district.get(f"/api/v1/dossiers/{le_lai}").get_json()["allowed_actions"] == []

    unsaid = so.act(le_lai, "request_supplement", {})
    assert unsaid.status_code == 422 and unsaid.get_json()["code"] == "guard_failed"
    asked = so.act(le_lai, "request_supplement", {"comment": "Bổ sung biên bản họp Ban Chỉ đạo huyện"})
    assert asked.status_code == 200, asked.get_json()
    assert asked.get_json()["state"] == "supplement_requested"
    assert district.get(f"/api/v1/dossiers/{le_lai}").get_json()["allowed_actions"] == ["resubmit_to_province"]
    assert district.act(le_lai, "resubmit_to_province", {"comment": "Đã bổ sung"}).status_code == 200
    passed = so.act(le_lai, "appraise_at_province", {})
    assert passed.status_code == 200 and passed.get_json()["state"] == "forwarded"
