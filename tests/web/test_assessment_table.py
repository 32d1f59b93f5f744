"""The self-assessment as one form per criterion: a whole criterion (or, through the same route, the whole
set) saved in one request, one transaction and one audit event that lists every changed value."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossiers.models import Assessment, AuditEvent, Criterion
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, form_html, fresh, sign_in, version_in
from workflow.measures import value_meeting


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def _events(session: Session, dossier_id: int) -> int:
    return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.dossier_id == dossier_id)) or 0


def test_a_whole_criterion_is_saved_in_one_request(
    client: FlaskClient, demo_world: DemoWorld, session: Session
) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]  # self-assessment, half of the indicators assessed
    sign_in(client, "xa.vantrinh")
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    dossier = fresh(session, dossier_id)
    criteria = session.scalars(
        select(Criterion).where(Criterion.criteria_set_id == dossier.criteria_set_id).order_by(Criterion.number)
    ).all()
    last = criteria[-1]  # not assessed yet: the demo assessed the first half
    table = form_html(page, f"form-criterion-{last.number}")
    codes = [indicator.code for indicator in last.indicators]
    assert all(f'name="met:{code}"' in table for code in codes)
    before = _events(session, dossier_id)

    data = {"version": str(version_in(page, f"form-criterion-{last.number}")), "criterion": str(last.number)}
    unit = dossier.unit
    # each value in its indicator's measure (a yes/no, a percentage, …), reaching the unit's threshold
    values = {
        i.code: value_meeting(
            i.measure, i.threshold_for(unit.region, unit.commune_group, dossier.year), i.answers or ()
        )
        or ""
        for i in last.indicators
    }
    for code in codes:
        data |= {f"met:{code}": "1", f"value:{code}": values[code], f"note:{code}": f"ghi chú {code}"}
    # a row of another criterion in the same form is not part of this save
    other = criteria[0].indicators[0].code
    data |= {f"met:{other}": "0", f"value:{other}": "đổi"}
    response = client.post(f"/ho-so/{dossier_id}/tu-danh-gia/bang", data=data)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#form-criterion-{last.number}")
    session.expire_all()
    assert _events(session, dossier_id) == before + 1
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier_id).order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.action == "record_assessment"
    assert [change["indicator"] for change in event.payload["changes"]] == codes
    assert all(change["old"] is None and change["new"]["met"] is True for change in event.payload["changes"])
    unchanged = session.scalars(
        select(Assessment).where(
            Assessment.dossier_id == dossier_id, Assessment.indicator_id == criteria[0].indicators[0].id
        )
    ).one()
    assert unchanged.met is True and unchanged.value != "đổi"
    # the audit log on the page shows the values entered
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    assert f"{codes[0]}: chưa đánh giá → {values[codes[0]]} (đạt)" in page


def test_the_whole_table_in_one_request_and_a_bad_row_keeps_what_was_typed(
    client: FlaskClient, demo_world: DemoWorld, session: Session
) -> None:
    dossier_id = demo_world.dossiers["Vân Trình"]
    sign_in(client, "xa.vantrinh")
    page = client.get(f"/ho-so/{dossier_id}").get_data(as_text=True)
    codes = re.findall(r'name="met:([^"]+)"', page)
    version = str(version_in(page, "form-criterion-1"))
    before = _events(session, dossier_id)

    bad = {"version": version, f"met:{codes[0]}": "có lẽ", f"value:{codes[0]}": "giá trị đã gõ"}
    refused = client.post(f"/ho-so/{dossier_id}/tu-danh-gia/bang", data=bad)
    assert refused.status_code == 422
    assert "giá trị đã gõ" in refused.get_data(as_text=True)
    # the message sits next to the row's own input
    assert f'id="loi-assessments-met-{codes[0]}">Chọn có hoặc không.' in refused.get_data(as_text=True)
    session.expire_all()
    assert _events(session, dossier_id) == before

    data = {"version": version} | {f"met:{code}": "1" for code in codes}
    response = client.post(f"/ho-so/{dossier_id}/tu-danh-gia/bang", data=data)
    assert response.status_code == 302
    session.expire_all()
    assert _events(session, dossier_id) == before + 1
    assessed = session.scalar(
        select(func.count(Assessment.id)).where(Assessment.dossier_id == dossier_id, Assessment.met.is_(True))
    )
    assert assessed == len(codes)


def test_a_department_sees_the_table_without_inputs(client: FlaskClient, demo_world: DemoWorld) -> None:
    sign_in(client, "phong.nn-ptnt")
    page = client.get(f"/ho-so/{demo_world.dossiers['Đức Xuân']}").get_data(as_text=True)
    assert 'id="form-criterion-1"' not in page
    assert 'name="met:' not in page
