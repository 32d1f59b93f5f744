"""Issue 10 §3 on the pages: a thị trấn's officer registers it for "đô thị văn minh", and a tổ dân phố (a hamlet
under the thị trấn) registers for thôn NTM with its town appraising, from the unit pages; the pages show
Vietnamese labels, no raw codes (the Thạch An demo of the first half of 2025: Đông Khê is its thị trấn)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from dossiers.demo import DEMO_PASSWORD
from dossiers.models import Dossier, RoleAssignment, Unit, User
from tests.demo_database import CHEAP_HASH_METHOD, DemoWorld
from tests.web.test_page_text import RAW_CODES, visible_text
from tests.web.workspace_demo import ACTING_AT, form_html, sign_in
from workflow.vocabulary import Role, UnitKind

#: the codes of this issue's levels, routes and sets, beside the page-text test's own
NEW_CODES = re.compile(r"town-|thi-tran|tx-tp|district_town|residential")


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def _officer(session: Session, username: str, unit: Unit) -> User:
    user = User(
        username=username,
        full_name=username,
        email=f"{username}@test.vn",
        password_hash=generate_password_hash(DEMO_PASSWORD, method=CHEAP_HASH_METHOD),
    )
    user.roles.append(RoleAssignment(role=Role.UNIT_OFFICER, unit=unit))
    session.add(user)
    session.flush()
    return user


def _option(form: str, label_start: str) -> str:
    found = re.search(rf'<option value="(\d+)"[^>]*>{re.escape(label_start)}', form)
    assert found, form
    return found.group(1)


def _no_codes(text: str) -> None:
    readable = visible_text(text)
    assert RAW_CODES.findall(readable) == [] and NEW_CODES.findall(readable) == []


def test_a_town_and_its_residential_group_register_from_their_pages(
    client: FlaskClient, session: Session, demo_world: DemoWorld
) -> None:
    town = session.scalars(select(Unit).where(Unit.kind == UnitKind.TOWN, Unit.name.contains("Đông Khê"))).one()
    group = Unit(name="Tổ dân phố Phố Cũ", kind=UnitKind.HAMLET, parent=town, region=town.region)
    session.add(group)
    session.flush()
    _officer(session, "thitran.dongkhe", town)
    _officer(session, "tdp.phocu", group)

    sign_in(client, "thitran.dongkhe")
    page = client.get(f"/don-vi/{town.id}").get_data(as_text=True)
    form = form_html(page, "form-register")
    assert "Thị trấn đạt chuẩn đô thị văn minh" in form
    _no_codes(page)
    data = {
        "level": "town-civilized",
        "year": "2025",
        "criteria_set": _option(form, "Tiêu chí thị trấn đạt chuẩn đô thị văn minh"),
    }
    created = client.post(f"/don-vi/{town.id}/dang-ky", data=data)
    assert created.status_code == 302, created.get_data(as_text=True)
    dossier_page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Đã đăng ký hồ sơ số" in dossier_page and "Thị trấn đạt chuẩn đô thị văn minh" in dossier_page
    _no_codes(dossier_page)
    dossier = session.scalars(select(Dossier).where(Dossier.unit_id == town.id)).one()
    assert (dossier.level, dossier.route, dossier.authority_unit_id) == (
        "town-civilized",
        "town-via-district",
        town.parent_id,
    )

    sign_in(client, "tdp.phocu")
    page = client.get(f"/don-vi/{group.id}").get_data(as_text=True)
    form = form_html(page, "form-register")
    assert "Thôn đạt chuẩn nông thôn mới" in form and "Thị trấn đạt chuẩn đô thị văn minh" not in form
    hamlet_set = re.search(r'<option value="(\d+)"[^>]*>[^<]*thôn[^<]*nông thôn mới[^<]*Cao Bằng', form, re.I)
    assert hamlet_set, form
    created = client.post(
        f"/don-vi/{group.id}/dang-ky",
        data={"level": "hamlet-ntm", "year": "2025", "criteria_set": hamlet_set.group(1)},
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    _no_codes(client.get(created.headers["Location"]).get_data(as_text=True))
    dossier = session.scalars(select(Dossier).where(Dossier.unit_id == group.id)).one()
    # the thị trấn appraises its tổ dân phố as a commune does its hamlets; the district chairman decides
    assert (dossier.route, dossier.authority_unit_id, dossier.decider_unit_id) == (
        "hamlet-to-district",
        town.id,
        town.parent_id,
    )
