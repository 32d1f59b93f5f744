"""Lists are queries, not loops: "Việc của tôi" of three roles, the department inbox, the dossier page (for the
commune and for the coordinator) and the dashboard issue the same number of SQL statements on the demo and on the
demo grown by more communes and dossiers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers.models import AppraisalItem, AppraisalTask, AuditEvent, Dossier, Unit
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, sign_in

#: who looks, and at what
ROLES = {"coordinator": "dieuphoi.thachan", "department": "phong.nn-ptnt", "commune": "xa.ducxuan"}
#: the targets of the engine-core issue: lists and the dossier page in a fixed, small number of queries
MY_WORK_LIMIT = 15
DOSSIER_PAGE_LIMIT = 20
#: the dashboard and its export: about half are the reminders' obligations (notifications.obligations), half the figures
DASHBOARD_LIMIT = 50
INBOX_LIMIT = 15
#: a department with indicators of Đức Xuân still waiting in the demo: its inbox is never empty
INBOX_DEPARTMENT = "phong.tn-mt"


@pytest.fixture(autouse=True)
def _clock(app: Flask) -> None:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT


def grow(session: Session, demo_world: DemoWorld, communes: int) -> None:
    """More communes of the district, each with a dossier like Đức Xuân's: under appraisal with every
    department's task waiting, or just registered (the coordinator confirms it)."""
    model = session.get_one(Dossier, demo_world.dossiers["Đức Xuân"])
    tasks = session.scalars(select(AppraisalTask).where(AppraisalTask.dossier_id == model.id)).all()
    for index in range(communes):
        unit = Unit(name=f"Xã Thêm {index}", kind="commune", parent_id=model.unit.parent_id, region=model.unit.region)
        session.add(unit)
        session.flush()
        state = "under_appraisal" if index % 2 == 0 else "registered"
        dossier = Dossier(
            unit_id=unit.id,
            level=model.level,
            year=model.year,
            kind=model.kind,
            criteria_set_id=model.criteria_set_id,
            state=state,
            authority_unit_id=model.authority_unit_id,
            decider_unit_id=model.decider_unit_id,
            route=model.route,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )
        session.add(dossier)
        session.flush()
        session.add(
            AuditEvent(
                dossier_id=dossier.id,
                occurred_at=model.created_at,
                action="register",
                role="unit_officer",
                to_state="registered",
                payload={},
            )
        )
        if state == "under_appraisal":
            for task in tasks:
                copy = AppraisalTask(
                    dossier_id=dossier.id,
                    department_id=task.department_id,
                    fallback_role=task.fallback_role,
                    round=1,
                    opened_at=task.opened_at,
                )
                copy.items = [AppraisalItem(indicator_id=item.indicator_id) for item in task.items]
                session.add(copy)
    session.commit()


def count_queries(connection: Connection, client: FlaskClient, path: str) -> int:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


def figures(connection: Connection, client: FlaskClient, demo_world: DemoWorld) -> dict[str, int]:
    found = {}
    for role, username in ROLES.items():
        sign_in(client, username)
        found[f"my-work-{role}"] = count_queries(connection, client, "/viec-cua-toi")
    sign_in(client, ROLES["coordinator"])
    found["dossier-page"] = count_queries(connection, client, f"/ho-so/{demo_world.dossiers['Đức Xuân']}")
    found["dashboard"] = count_queries(connection, client, "/bang-theo-doi?nam=2025")
    found["dashboard-xlsx"] = count_queries(connection, client, "/bang-theo-doi/xuat.xlsx?nam=2025")
    sign_in(client, "chutich.caobang")
    found["dashboard-province"] = count_queries(connection, client, "/bang-theo-doi?nam=2025")
    sign_in(client, INBOX_DEPARTMENT)
    found["inbox-department"] = count_queries(connection, client, "/tham-tra")
    sign_in(client, ROLES["commune"])
    found["dossier-page-commune"] = count_queries(connection, client, f"/ho-so/{demo_world.dossiers['Đức Xuân']}")
    return found


def test_lists_and_the_dossier_page_do_not_grow_with_the_data(
    connection: Connection, client: FlaskClient, demo_world: DemoWorld, session: Session
) -> None:
    small = figures(connection, client, demo_world)
    grow(session, demo_world, 12)
    large = figures(connection, client, demo_world)
    assert large == small
    assert all(count <= MY_WORK_LIMIT for name, count in small.items() if name.startswith("my-work")), small
    assert small["dossier-page"] <= DOSSIER_PAGE_LIMIT, small
    assert all(count <= DASHBOARD_LIMIT for name, count in small.items() if name.startswith("dashboard")), small
    assert all(count <= INBOX_LIMIT for name, count in small.items() if name.startswith("inbox")), small


def test_the_grown_dossiers_are_on_the_lists(
    connection: Connection, client: FlaskClient, demo_world: DemoWorld, session: Session
) -> None:
    """The counts above compare lists that really grew."""
    grow(session, demo_world, 4)
    sign_in(client, ROLES["coordinator"])
    coordinator = client.get("/viec-cua-toi").get_data(as_text=True)
    assert coordinator.count("Xã Thêm") >= 4
    sign_in(client, ROLES["department"])
    department = client.get("/viec-cua-toi").get_data(as_text=True)
    assert "Xã Thêm 0" in department and "Xã Thêm 2" in department
    assert "Đức Xuân" not in client.get("/tham-tra").get_data(as_text=True)  # its task here was answered
    sign_in(client, INBOX_DEPARTMENT)
    inbox = client.get("/tham-tra").get_data(as_text=True)
    assert "Xã Thêm 0" in inbox and "Xã Thêm 2" in inbox and "Đức Xuân" in inbox
    sign_in(client, ROLES["coordinator"])
    dashboard = client.get("/bang-theo-doi?nam=2025").get_data(as_text=True)
    assert dashboard.count('<tr data-unit="Xã Thêm') == 4
    assert 'data-figure="communes">17<' in dashboard
