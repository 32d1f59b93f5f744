"""The Front's officer records a supervision comment from the dossier page; it shows in the dossier's history.
It is a right at every step, not work waiting: "Việc của tôi" does not list it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, form_html, sign_in, version_in


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def test_the_front_records_a_supervision_comment(client: FlaskClient, demo_world: DemoWorld) -> None:
    dossier = demo_world.dossiers["Lê Lợi"]  # in consultation
    sign_in(client, "mttq.leloi")
    page = client.get(f"/ho-so/{dossier}").get_data(as_text=True)
    form = form_html(page, "form-record_supervision")
    assert "Ý kiến giám sát (bắt buộc)" in form and "Ghi ý kiến giám sát của Mặt trận Tổ quốc" in form
    version = version_in(page, "form-record_supervision")

    empty = client.post(
        f"/ho-so/{dossier}/thao-tac", data={"version": str(version), "action": "record_supervision", "comment": " "}
    )
    assert empty.status_code == 422
    assert "cần ghi nội dung ý kiến giám sát" in empty.get_data(as_text=True)

    text = "Đã giám sát việc niêm yết tại nhà văn hóa các thôn: đúng thời gian, đủ nội dung."
    done = client.post(
        f"/ho-so/{dossier}/thao-tac", data={"version": str(version), "action": "record_supervision", "comment": text}
    )
    assert done.status_code == 302
    shown = client.get(f"/ho-so/{dossier}").get_data(as_text=True)
    log = shown.split("<tbody>")[-1]
    row = next(r for r in log.split("<tr>") if "Ghi ý kiến giám sát của Mặt trận Tổ quốc" in r)
    assert text in row and "(không đổi)" in row

    work = client.get("/viec-cua-toi").get_data(as_text=True).split('id="can-xu-ly"')[1].split("<h2")[0]
    assert "Ghi kết quả lấy ý kiến sự hài lòng" in work and "giám sát" not in work


def test_the_commune_officer_has_no_supervision_form(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "xa.leloi")
    page = client.get(f"/ho-so/{demo_world.dossiers['Lê Lợi']}").get_data(as_text=True)
    assert 'id="form-record_supervision"' not in page
