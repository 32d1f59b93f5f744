"""The demo (units, people, the 2025 dossiers) loaded once per test module for the workspace tests.

Loading it takes seconds, so a module loads it inside an outer transaction and each test runs in a
savepoint of that transaction, rolled back afterwards: every test still starts from the same demo.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from dossiers.demo import DEMO_PASSWORD, load_demo
from dossiers.demo_dossiers import load_demo_dossiers
from dossiers.models import Dossier, User

#: when the demo is loaded (the conftest's NOW) and when the pages act: after every demo event
LOADED_AT = dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC)
ACTING_AT = dt.datetime(2025, 9, 15, 2, 0, tzinfo=dt.UTC)


@dataclass
class DemoWorld:
    connection: Connection
    #: unit name → id of its 2025 dossier (the merged xã Thạch An is "Thạch An")
    dossiers: dict[str, int]
    units: dict[str, int]
    new_units: dict[str, int]

    def savepoint(self) -> Iterator[Connection]:
        nested = self.connection.begin_nested()
        yield self.connection
        if nested.is_active:
            nested.rollback()


def demo_world(engine: Engine) -> Iterator[DemoWorld]:
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            demo = load_demo(session, LOADED_AT)
            made = load_demo_dossiers(session, demo)
            session.commit()
            world = DemoWorld(
                connection=connection,
                dossiers={d.unit.name: d.id for d in made},
                units={name: unit.id for name, unit in demo.communes.items()},
                new_units={name: unit.id for name, unit in demo.new_communes.items()},
            )
        yield world
        outer.rollback()


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
