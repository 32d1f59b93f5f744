"""The administrator's reorganisation page: a dry run shows every change, nothing is saved until the plan's
code is typed to confirm; then the dossiers in flight move to the province."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.demo import REFORM_PLAN
from dossiers.models import Dossier, Reorganisation
from dossiers.reorganisation import builtin_plan_path
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, form_html, sign_in


def test_preview_then_apply_the_1_7_2025_reorganisation(
    app: Flask, client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT
    plan = builtin_plan_path(REFORM_PLAN).read_text(encoding="utf-8")
    sign_in(client, "xa.leloi")
    assert client.get("/quan-tri/sap-xep").status_code == 403
    assert client.post("/quan-tri/sap-xep/xem-truoc", data={"plan": plan}).status_code == 403

    sign_in(client, "admin")
    page = client.get("/quan-tri/sap-xep").get_data(as_text=True)
    assert "Chưa có lần sắp xếp nào." in page and "cao-bang-2025-07-01" in form_html(
        page, "form-preview-reorganisation"
    )

    shown = client.post("/quan-tri/sap-xep/xem-truoc", data={"plan": plan})
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Chưa lưu thay đổi nào." in text
    assert "Thành lập xã Đông Khê (01786) từ thị trấn Đông Khê, xã Đức Xuân, xã Trọng Con" in text
    assert "Giải thể Hội Liên hiệp Phụ nữ huyện" in text
    assert "chuyển về xã Đông Khê, thẩm tra: huyện Thạch An → tỉnh Cao Bằng" in text
    assert "form-apply-reorganisation" in text
    duc_xuan = demo_world.dossiers["Đức Xuân"]
    assert session.get(Dossier, duc_xuan).unit_id == demo_world.units["Đức Xuân"]  # type: ignore[union-attr]
    assert session.scalar(select(Reorganisation.id)) is None

    unconfirmed = client.post("/quan-tri/sap-xep/ap-dung", data={"plan": plan, "confirm": "có"})
    assert unconfirmed.status_code == 422
    assert "xác nhận bằng mã phương án «cao-bang-2025-07-01»" in unconfirmed.get_data(as_text=True)
    assert session.scalar(select(Reorganisation.id)) is None

    done = client.post("/quan-tri/sap-xep/ap-dung", data={"plan": plan, "confirm": "cao-bang-2025-07-01"})
    assert done.status_code == 302
    listed = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "5 hồ sơ được chuyển giao" in listed and "01/07/2025" in listed and "người được báo tin" in listed
    session.expire_all()
    moved = session.get(Dossier, duc_xuan)
    assert moved is not None and moved.unit.name == "Đông Khê" and moved.route == "commune-to-province"

    again = client.post("/quan-tri/sap-xep/xem-truoc", data={"plan": plan})
    assert again.status_code == 422 and "đã được áp dụng" in again.get_data(as_text=True)


def test_a_malformed_plan_comes_back_with_what_to_fix(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "admin")
    for plan, message in (
        ("", "chưa nhập phương án"),
        ("code: [", "YAML không hợp lệ"),
        ("- 1\n- 2", "không phải một phương án sắp xếp"),
        ("code: x\nname: x\nbasis: x\nprovince: '04'", "thiếu mục «effective_on»"),
        ("code: x\nname: x\nbasis: x\nprovince: '04'\neffective_on: 2027-01-01\nmerges: 3", "phải là một danh sách"),
        ("code: x\nname: x\nbasis: x\nprovince: '99'\neffective_on: 2027-01-01", "không tìm thấy tỉnh mã 99"),
    ):
        response = client.post("/quan-tri/sap-xep/xem-truoc", data={"plan": plan})
        assert response.status_code == 422, plan
        assert message in response.get_data(as_text=True), plan
