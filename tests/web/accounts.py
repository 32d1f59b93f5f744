"""A few accounts without the demo (loading it takes seconds): an administrator and a commune officer."""

from __future__ import annotations

from functools import cache

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from dossiers.models import RoleAssignment, Unit, User
from workflow.vocabulary import Role, UnitKind

PASSWORD = "hoa-sen-nuoc-chay-2025"


@cache
def _hash() -> str:
    return generate_password_hash(PASSWORD)


def make_accounts(session: Session) -> dict[str, User]:
    province = Unit(name="Tỉnh Thử", kind=UnitKind.PROVINCE, code="99")
    session.add(province)
    session.flush()
    users = {
        "quantri": User(username="quantri", full_name="Quản trị", email="qt@thu.ntm.vn", password_hash=_hash()),
        "canbo": User(username="canbo", full_name="Cán bộ Thử", email="cb@thu.ntm.vn", password_hash=_hash()),
    }
    users["quantri"].roles.append(RoleAssignment(role=Role.ADMIN))
    users["canbo"].roles.append(RoleAssignment(role=Role.UNIT_OFFICER, unit=province))
    session.add_all(users.values())
    session.commit()
    return users


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    return client.post("/dang-nhap", data={"username": username, "password": password}).status_code
