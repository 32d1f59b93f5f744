"""Helpers of the API tests: tokens for demo users found by their role, calls with a bearer token."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from dossiers import tokens
from dossiers.models import RoleAssignment, Unit, User
from workflow.vocabulary import Role, UnitKind

#: the demo is loaded at the conftest's NOW (1/9/2025, after the reform: no district tier)
START = dt.datetime(2025, 9, 2, 2, 0, tzinfo=dt.UTC)


def holders(
    session: Session, role: Role, *, unit_id: int | None = None, department_id: int | None = None
) -> list[User]:
    query = select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(RoleAssignment.role == role)
    if unit_id is not None:
        query = query.where(RoleAssignment.unit_id == unit_id)
    if department_id is not None:
        query = query.where(RoleAssignment.department_id == department_id)
    return list(session.scalars(query.where(User.active.is_(True)).order_by(User.id)).unique())


def holder(session: Session, role: Role, **scope: int | None) -> User:
    found = holders(session, role, **scope)
    assert found, f"no active {role} for {scope}"
    return found[0]


def communes_with_officers(session: Session, day: dt.date) -> list[Unit]:
    """Communes valid on `day` that have a commune officer and a Fatherland Front officer."""
    found = []
    for unit in session.scalars(select(Unit).where(Unit.kind == UnitKind.COMMUNE).order_by(Unit.id)):
        if not unit.is_valid_on(day):
            continue
        if holders(session, Role.UNIT_OFFICER, unit_id=unit.id) and holders(
            session, Role.FRONT_OFFICER, unit_id=unit.id
        ):
            found.append(unit)
    return found


def token_for(session: Session, user: User, now: dt.datetime = START, days: int = 366) -> str:
    issued = tokens.issue_token(session, None, user, now, name="kiểm thử", days=days)
    session.commit()
    return issued.secret


class Caller:
    """A client that sends one token with every call."""

    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client = client
        self.secret = secret

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.patch(path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def act(
        self, dossier_id: int, action: str, body: dict[str, Any] | None = None, etag: str | None = None
    ) -> TestResponse:
        """Read the dossier's ETag (unless given), then take the action with If-Match."""
        if etag is None:
            etag = self.get(f"/api/v1/dossiers/{dossier_id}").headers["ETag"]
        return self.post(f"/api/v1/dossiers/{dossier_id}/actions/{action}", json=body or {}, headers={"If-Match": etag})
