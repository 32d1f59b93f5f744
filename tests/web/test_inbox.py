"""The department inbox: every indicator waiting for the officer's departments, grouped by dossier with the
commune's value, the target and the evidence; many approved at once, returned with a reason each; nothing
offered when nothing is left. And the confirmations of irreversible actions, which a plain POST cannot skip."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from dossiers.models import AppraisalTask
from dossiers.procedure_facts import tasks_of
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, form_html, fresh, sign_in, version_in
from web.workspace.schemas import NOT_CONFIRMED, PlainActionSchema

DEPARTMENT = "phong.tn-mt"


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def _task(session: Session, dossier_id: int, code: str) -> AppraisalTask:
    return next(
        t
        for t in tasks_of(session, fresh(session, dossier_id))
        if t.department is not None and t.department.code == code and t.answered_at is None
    )


def test_the_inbox_groups_what_waits_by_dossier(client: FlaskClient, session: Session, demo_world: DemoWorld) -> None:
    duc_xuan = demo_world.dossiers["Đức Xuân"]
    task = _task(session, duc_xuan, "tn-mt")
    codes = sorted(item.indicator.code for item in task.items if item.decision is None)
    sign_in(client, DEPARTMENT)
    page = client.get("/tham-tra").get_data(as_text=True)
    section = page.split(f'id="ho-so-{duc_xuan}"')[1].split("</section>")[0]
    assert "Xã Đức Xuân" in section
    assert sorted(re.findall(rf'name="pick" value="{duc_xuan}:{task.id}:([^"]+)"', section)) == codes
    # the commune's own value and verdict beside each indicator; days pending and the time limit
    assert "Đạt" in section
    pending = r"Chờ thẩm tra \d+ ngày làm việc; thời hạn \d+ ngày làm việc, đến hết ngày \d\d/\d\d/2025"
    assert re.search(pending, section)
    assert f'data-select-all="ho-so-{duc_xuan}"' in section
    # another department's indicators are not here
    other = _task(session, duc_xuan, "vp-ubnd")
    assert f":{other.id}:" not in page


def test_many_approved_at_once_then_nothing_is_offered(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    duc_xuan = demo_world.dossiers["Đức Xuân"]
    task = _task(session, duc_xuan, "tn-mt")
    codes = [item.indicator.code for item in task.items if item.decision is None]
    sign_in(client, DEPARTMENT)
    before = fresh(session, duc_xuan).version
    response = client.post(
        "/tham-tra",
        data={
            "decision": "approve",
            "pick": [f"{duc_xuan}:{task.id}:{code}" for code in codes],
            f"version:{duc_xuan}": str(before),
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Đã thẩm tra đạt {len(codes)} chỉ tiêu của 1 hồ sơ." in page
    assert 'id="hop-trong"' in page and 'id="form-inbox"' not in page
    assert "Thẩm tra đạt các chỉ tiêu đã chọn" not in page
    session.expire_all()
    answered = session.get_one(AppraisalTask, task.id)
    assert answered.answered_at is not None and {i.decision for i in answered.items} == {"approved"}
    # the dossier page offers no answer either
    dossier_page = client.get(f"/ho-so/{duc_xuan}").get_data(as_text=True)
    assert f'id="form-task-{task.id}"' not in dossier_page
    assert "Thẩm tra đạt các chỉ tiêu" not in dossier_page.split('id="thao-tac"')[1].split('id="tu-danh-gia"')[0]


def test_returning_needs_a_reason_each_next_to_its_field(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    duc_xuan = demo_world.dossiers["Đức Xuân"]
    task = _task(session, duc_xuan, "tn-mt")
    first, second = sorted(item.indicator.code for item in task.items if item.decision is None)[:2]
    sign_in(client, DEPARTMENT)
    before = fresh(session, duc_xuan).version
    data = {
        "decision": "return",
        "pick": [f"{duc_xuan}:{task.id}:{first}", f"{duc_xuan}:{task.id}:{second}"],
        f"reason:{duc_xuan}:{first}": "Thiếu bản đồ hiện trạng",
        f"version:{duc_xuan}": str(before),
    }
    refused = client.post("/tham-tra", data=data)
    assert refused.status_code == 422
    form = form_html(refused.get_data(as_text=True), "form-inbox")
    assert f'id="loi-inbox-reason-{duc_xuan}-{second}">Cần ghi lý do trả lại.' in form
    assert 'value="Thiếu bản đồ hiện trạng"' in form
    assert re.search(rf'value="{duc_xuan}:{task.id}:{first}"[^>]*checked', form)
    assert fresh(session, duc_xuan).version == before

    nothing = client.post("/tham-tra", data={"decision": "approve"})
    assert nothing.status_code == 422 and "Chọn ít nhất một chỉ tiêu." in nothing.get_data(as_text=True)

    data[f"reason:{duc_xuan}:{second}"] = "Số liệu chưa khớp biên bản"
    assert client.post("/tham-tra", data=data).status_code == 302
    session.expire_all()
    returned = {i.indicator.code: i.reason for i in session.get_one(AppraisalTask, task.id).items if i.decision}
    assert returned == {first: "Thiếu bản đồ hiện trạng", second: "Số liệu chưa khớp biên bản"}


def test_a_pick_outside_ones_own_tasks_is_refused(client: FlaskClient, session: Session, demo_world: DemoWorld) -> None:
    duc_xuan = demo_world.dossiers["Đức Xuân"]
    other = _task(session, duc_xuan, "vp-ubnd")
    code = next(item.indicator.code for item in other.items if item.decision is None)
    before = fresh(session, duc_xuan).version
    for username, status in ((DEPARTMENT, 403), ("xa.ducxuan", 403)):
        sign_in(client, username)
        response = client.post("/tham-tra", data={"decision": "approve", "pick": f"{duc_xuan}:{other.id}:{code}"})
        assert response.status_code == status, username
    sign_in(client, DEPARTMENT)
    stale = client.post(
        "/tham-tra",
        data={
            "decision": "approve",
            "pick": f"{duc_xuan}:{_task(session, duc_xuan, 'tn-mt').id}:x",
            f"version:{duc_xuan}": str(before - 1),
        },
    )
    assert stale.status_code == 409 and "người khác" not in stale.get_data(as_text=True)
    assert fresh(session, duc_xuan).version == before


# --- confirmations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "dossier", "action", "extra", "state"),
    [
        ("xa.leloi", "Lê Lợi", "withdraw", {}, "withdrawn"),
        # Lê Lai's nâng cao dossier, forwarded to the provincial chairman
        ("chutich.caobang", "Lê Lai", "refuse", {"comment": "Chưa đạt tiêu chí 17"}, "refused"),
        (
            "chutich.caobang",
            "Lê Lai",
            "recognise",
            {"decision_number": "12/QĐ-UBND", "decision_date": "16/06/2025"},
            "recognised",
        ),
    ],
)
def test_an_irreversible_action_needs_its_confirmation(
    client: FlaskClient,
    session: Session,
    demo_world: DemoWorld,
    username: str,
    dossier: str,
    action: str,
    extra: dict[str, str],
    state: str,
) -> None:
    dossier_id = demo_world.dossiers[dossier]
    sign_in(client, username)
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    form = form_html(page, f"form-{action}")
    assert 'name="confirm" value="1"' in form and "required" in form and "data-confirm=" in form
    before = fresh(session, dossier_id)
    version, old_state = before.version, before.state
    plain = client.post(f"/ho-so/{dossier_id}/thao-tac", data={"version": version, "action": action, **extra})
    assert plain.status_code == 422
    shown = form_html(plain.get_data(as_text=True), f"form-{action}")
    assert NOT_CONFIRMED in shown
    for value in extra.values():
        assert value in shown  # what was typed stays
    assert fresh(session, dossier_id).state == old_state
    confirmed = client.post(
        f"/ho-so/{dossier_id}/thao-tac",
        data={"version": version_in(page, f"form-{action}"), "action": action, "confirm": "1", **extra},
    )
    assert confirmed.status_code == 302
    assert fresh(session, dossier_id).state == state


def test_revoking_needs_the_confirmation_and_the_decision() -> None:
    schema = PlainActionSchema(today=dt.date(2025, 9, 15))
    with pytest.raises(ValidationError) as refused:
        schema.load({"version": "3", "action": "revoke"})
    messages = refused.value.messages
    assert set(messages) == {"confirm", "decision_number", "decision_date"}
    loaded = schema.load(
        {"version": "3", "action": "revoke", "confirm": "1", "decision_number": "7/QĐ", "decision_date": "01/09/2025"}
    )
    assert loaded["decision_date"] == dt.date(2025, 9, 1) and loaded["confirm"] is True
