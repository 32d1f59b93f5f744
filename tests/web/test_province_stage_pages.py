"""The Sở's appraisal stage (a province's route variant) through the dossier page: its diagram, the Sở's and
the district's forms, a supplement request that needs its content, and the resubmission."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from dossiers import commands as c
from dossiers.handlers import handle
from dossiers.regimes import province_figures
from tests.demo_database import DemoWorld
from tests.dossiers.procedure_world import BEFORE, build_world
from tests.web.workspace_demo import ACTING_AT, form_html, form_ids, fresh, sign_in, version_in
from web.workspace.pages import my_work, register_options
from workflow.vocabulary import RECOGNITION_LEVEL_LABELS, RecognitionLevel


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


def test_the_registration_form_follows_the_provinces_hamlet_model(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Model A: the hamlet's board registers (the commune's officer is offered nothing on the hamlet's page);
    model B, switched on by a province file: the commune's officer is offered the hamlet levels."""
    world = build_world(session, BEFORE)
    hamlet, commune_officer, hamlet_officer = world.hamlet, world.user("xa"), world.user("thon")
    monkeypatch.setenv("NTM_PROVINCE_FIGURES", str(tmp_path))
    province_figures.cache_clear()
    try:
        assert register_options(session, commune_officer, BEFORE, hamlet) is None
        offered = register_options(session, hamlet_officer, BEFORE, hamlet)
        assert offered is not None and ("hamlet-ntm", RECOGNITION_LEVEL_LABELS[RecognitionLevel.HAMLET_NTM]) in (
            offered.levels
        )
        (tmp_path / "tinh-thu.yaml").write_text(
            'province: "Tỉnh Thử"\nfigures:\n  - {regime: "2021-2025", first_year: 2025, last_year: 2025, '
            "source: thử, confidence: medium, routes: [hamlet-via-district]}\n",
            encoding="utf-8",
        )
        province_figures.cache_clear()
        offered = register_options(session, commune_officer, BEFORE, hamlet)
        assert offered is not None and [code for code, _ in offered.levels] == ["hamlet-ntm", "hamlet-model"]
        assert register_options(session, hamlet_officer, BEFORE, hamlet) is None
        # the commune finds the hamlet it registered in "Việc của tôi", with what it may do there
        dossier = handle(
            session,
            commune_officer,
            BEFORE,
            c.Register(
                unit_id=hamlet.id, level=RecognitionLevel.HAMLET_NTM, year=2025, criteria_set_id=world.hamlet_set.id
            ),
        ).opened()
        handle(session, world.user("dieuphoi"), BEFORE, c.ConfirmRegistration(dossier_id=dossier.id))
        work = my_work(session, commune_officer, BEFORE)
        (item,) = [a for a in work.actionable if a.dossier.id == dossier.id]
        assert {code for code, _ in item.actions} >= {"record_assessment", "withdraw"}
        assert dossier in work.own_dossiers
    finally:
        province_figures.cache_clear()
