"""Evidence files through the dossier page: the commune attaches, whoever may see the dossier downloads."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, form_html, fresh, sign_in, version_in

#: evidence is typed by its content: a PDF starts with its signature
PDF = b"%PDF-1.7\n"


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def upload(client: FlaskClient, dossier_id: int, version: int, content: bytes | None, code: str = "") -> str:
    data: dict[str, object] = {"version": str(version), "code": code}
    if content is not None:
        data["file"] = (io.BytesIO(content), "bien-ban-kiem-tra.pdf")
    response = client.post(
        f"/ho-so/{dossier_id}/minh-chung", data=data, content_type="multipart/form-data", follow_redirects=True
    )
    return f"{response.status_code}\n{response.get_data(as_text=True)}"


def test_the_commune_attaches_a_file_and_a_department_downloads_it(client: FlaskClient, demo_world: DemoWorld) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]  # still in self-assessment
    sign_in(client, "xa.vantrinh")
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    assert "Chưa có tệp minh chứng." in page
    version = version_in(page, "form-evidence")

    result = upload(client, dossier_id, version, PDF + "Biên bản kiểm tra 17.3".encode(), code="17.3")
    assert result.startswith("200\n")
    assert "Đã đính kèm “bien-ban-kiem-tra.pdf”" in result
    table = result.split('<table id="evidence">')[1].split("</table>")[0]
    assert "bien-ban-kiem-tra.pdf" in table and "<td>17.3</td>" in table
    link = table.split('href="')[1].split('"')[0]

    sign_in(client, "phong.tn-mt")
    download = client.get(link)
    assert download.status_code == 200
    assert download.data == PDF + "Biên bản kiểm tra 17.3".encode()
    assert "attachment" in download.headers["Content-Disposition"]
    assert "form-evidence" not in client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)  # not theirs to attach

    sign_in(client, "xa.duclong")
    assert client.get(link).status_code == 404  # another commune's dossier: not found


def test_no_file_or_a_wrong_indicator_is_refused_in_vietnamese(client: FlaskClient, demo_world: DemoWorld) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]
    sign_in(client, "xa.vantrinh")
    version = version_in(client.get(f"/ho-so/{dossier_id}").get_data(as_text=True), "form-evidence")
    missing = upload(client, dossier_id, version, None)
    assert missing.startswith("422\n") and "chưa chọn tệp minh chứng" in missing
    wrong = upload(client, dossier_id, version, b"x", code="99.9")
    assert wrong.startswith("422\n") and "không có chỉ tiêu 99.9" in wrong
    assert "Chưa có tệp minh chứng." in wrong  # nothing was stored
    assert 'name="code"' in form_html(wrong, "form-evidence")


def test_a_submitted_dossier_takes_no_more_files(client: FlaskClient, demo_world: DemoWorld, session: Session) -> None:
    dossier_id = demo_world.dossiers["Đức Xuân"]  # under appraisal
    sign_in(client, "xa.ducxuan")
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    assert "form-evidence" not in page
    version = fresh(session, dossier_id).version
    refused = upload(client, dossier_id, version, b"x")
    assert refused.startswith("409\n")
    assert "không thể thực hiện «Đính kèm minh chứng»" in refused
