"""The kiểu mẫu form names each smart-hamlet model (hamlet, product sold online, where); the dossier page shows
them; a row begun and not finished comes back with what was typed and a Vietnamese message."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from dossiers.demo import DemoData
from tests.demo_database import DemoWorld
from tests.dossiers.test_kieu_mau_details import registered
from tests.web.workspace_demo import ACTING_AT, form_html, sign_in, version_in


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def test_the_smart_hamlet_models_are_entered_and_shown(
    client: FlaskClient, session: Session, demo_world: DemoWorld, demo: DemoData
) -> None:
    dossier = registered(session, demo, "Canh Tân", "san-xuat")
    first, second = demo.hamlets["Canh Tân"]
    sign_in(client, "xa.canhtan")
    page = client.get(f"/ho-so/{dossier.id}").get_data(as_text=True)
    form = form_html(page, "form-model")
    assert f'<option value="{first.id}">{first.name}</option>' in form and 'name="sold_on_5"' in form
    assert 'name="smart_hamlet_models"' not in form  # no bare count any more

    base = {
        "version": str(version_in(page, "form-model")),
        "income_per_capita": "80000000",
        "advanced_income_level": "70000000",
        "outstanding_field": "san-xuat",
        "outstanding_field_met": "1",
    }
    half = client.post(
        f"/ho-so/{dossier.id}/dieu-kien-kieu-mau", data={**base, "hamlet_1": str(first.id), "product_1": "Miến dong"}
    )
    assert half.status_code == 422
    text = half.get_data(as_text=True)
    assert "Chưa nhập." in form_html(text, "form-model") and 'value="Miến dong"' in text

    done = client.post(
        f"/ho-so/{dossier.id}/dieu-kien-kieu-mau",
        data={
            **base,
            "hamlet_1": str(first.id),
            "product_1": "Miến dong",
            "sold_on_1": "postmart.vn",
            "hamlet_2": str(second.id),
            "product_2": "Trà hoa vàng",
            "sold_on_2": "Trang của HTX trên Facebook",
        },
    )
    assert done.status_code == 302
    shown = client.get(f"/ho-so/{dossier.id}").get_data(as_text=True)
    listed = shown.split('id="mo-hinh-thon-thong-minh"')[1].split("</ul>")[0]
    assert f"Thôn {first.name}: Miến dong — bán trực tuyến tại postmart.vn" in listed
    assert f"Thôn {second.name}: Trà hoa vàng — bán trực tuyến tại Trang của HTX trên Facebook" in listed
    assert "<dt>Mô hình thôn thông minh</dt><dd>2" in shown
