"""The Sở's appraisal stage (a province's route variant) through the dossier page: its diagram, the Sở's and
the district's forms, a supplement request that needs its content, and the resubmission."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, form_html, form_ids, fresh, sign_in, version_in


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def page_of(client: FlaskClient, dossier_id: int) -> str:
    response = client.get(f"/ho-so/{dossier_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def act(client: FlaskClient, dossier_id: int, action: str, comment: str = "") -> tuple[int, str]:
    page = page_of(client, dossier_id)
    data = {"version": str(version_in(page, f"form-{action}")), "action": action, "comment": comment}
    response = client.post(f"/ho-so/{dossier_id}/thao-tac", data=data)
    return response.status_code, response.get_data(as_text=True)


def test_the_so_appraises_asks_a_supplement_and_the_district_resubmits(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    # Lê Lai's nâng cao dossier, forwarded by huyện Thạch An, as if Cao Bằng's rules had the Sở's stage: the
    # district's forward led it there (a fixture: Cao Bằng's data does not choose the stage, see docs/regimes.md)
    le_lai = demo_world.dossiers["Lê Lai"]
    dossier = fresh(session, le_lai)
    dossier.route, dossier.state = "commune-via-district-and-province", "provincial_appraisal"
    session.flush()

    sign_in(client, "dieuphoi.caobang")
    page = page_of(client, le_lai)
    assert {"form-appraise_at_province", "form-request_supplement"} <= form_ids(page)
    assert "Đã trình tỉnh, Sở NN&amp;PTNT đang thẩm định" in page  # the diagram marks the step
    assert "Nội dung cần bổ sung (bắt buộc)" in form_html(page, "form-request_supplement")
    status, text = act(client, le_lai, "request_supplement")
    assert status == 422 and "cần ghi rõ lý do" in text
    status, _ = act(client, le_lai, "request_supplement", "Bổ sung báo cáo nợ đọng XDCB của xã")
    assert status == 302 and fresh(session, le_lai).state == "supplement_requested"
    assert "form-resubmit_to_province" not in form_ids(page_of(client, le_lai))

    sign_in(client, "dieuphoi.thachan")
    assert "form-resubmit_to_province" in form_ids(page_of(client, le_lai))
    status, _ = act(client, le_lai, "resubmit_to_province", "Đã bổ sung báo cáo")
    assert status == 302 and fresh(session, le_lai).state == "provincial_appraisal"

    sign_in(client, "dieuphoi.caobang")
    status, _ = act(client, le_lai, "appraise_at_province")
    assert status == 302 and fresh(session, le_lai).state == "forwarded"
    sign_in(client, "chutich.caobang")
    assert "form-recognise" in form_ids(page_of(client, le_lai))
    assert "Bổ sung báo cáo nợ đọng XDCB của xã" in page_of(client, le_lai)  # the request stays in the log
