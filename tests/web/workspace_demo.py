"""Helpers of the workspace tests, which run on the demo with its 2025 dossiers (the `demo_world` fixture)."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.demo import DEMO_PASSWORD
from dossiers.models import Dossier, User

#: a working day of June 2025: huyện Thạch An still exists (the demo_world fixture is the first half of 2025)
ACTING_AT = dt.datetime(2025, 6, 16, 2, 0, tzinfo=dt.UTC)
#: a working day of late 2026, for the whole demo story (`demo_today`): no district, the 2026 cycle running
TODAY_AT = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.UTC)


def sign_in(client: FlaskClient, username: str) -> None:
    client.post("/dang-xuat")
    response = client.post("/dang-nhap", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{username} could not sign in"


def version_in(page: str, form_id: str) -> int:
    """The hidden `version` of the form with this id on the page."""
    form = form_html(page, form_id)
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found, f"no version in form {form_id}"
    return int(found.group(1))


def form_html(page: str, form_id: str) -> str:
    found = re.search(rf'<form[^>]*id="{re.escape(form_id)}".*?</form>', page, re.S)
    assert found, f"no form {form_id} on the page"
    return found.group(0)


def form_ids(page: str) -> set[str]:
    return set(re.findall(r'<form[^>]*id="([^"]+)"', page))


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def fresh(session: Session, dossier_id: int) -> Dossier:
    """The dossier as the database has it now (requests ran in their own sessions)."""
    session.expire_all()
    found = session.get(Dossier, dossier_id)
    assert found is not None
    return found
