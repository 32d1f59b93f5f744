"""Every route × every demo role × own / foreign unit gets the answer this table expects.

A dossier outside what a person may read is "not found" (404), so a URL tells nobody that it exists; a page
a role may not use is 403; anonymous visitors are sent to sign-in. Routes under `/api/` have their own
tests; `/static` is public. A route added without a row here fails `test_every_route_has_a_row`.

Accounts are found by role and the kind of unit they hold it on (the demo's usernames may change); "own" is
a dossier and a unit the role serves, "foreign" a dossier and a commune of another province made here.
Each role is tried in the part of the demo where it has work: the district and the communes of huyện Thạch
An in June 2025 (`demo_world`, before the reorganisation); the province, whose departments appraise only
after 1/7/2025, in November 2026 (`demo_today`, the whole story). The clock matches the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.access import descendant_ids
from dossiers.demo import DEMO_PASSWORD
from dossiers.models import CriteriaSet, Dossier, Plan, RoleAssignment, Unit, User
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, TODAY_AT
from workflow.vocabulary import RecognitionLevel, Role, UnitKind

#: (name, role, kind of the unit the role is held on; for departments, the kind of the department's unit)
RoleRow = tuple[str, Role | None, UnitKind | None]
#: tried on `demo_world` at ACTING_AT (June 2025: the district route)
ROLES_2025: tuple[RoleRow, ...] = (
    ("anonymous", None, None),
    ("admin", Role.ADMIN, None),
    ("commune_officer", Role.UNIT_OFFICER, UnitKind.COMMUNE),
    ("front_officer", Role.FRONT_OFFICER, UnitKind.COMMUNE),
    ("appraisal_team", Role.APPRAISAL_TEAM, UnitKind.COMMUNE),
    ("commune_chairman", Role.APPROVER, UnitKind.COMMUNE),
    ("district_department", Role.DEPARTMENT_OFFICER, UnitKind.DISTRICT),
    ("district_coordinator", Role.COORDINATOR, UnitKind.DISTRICT),
    ("district_chairman", Role.APPROVER, UnitKind.DISTRICT),
)
#: tried on `demo_today` at TODAY_AT (November 2026: the provincial route, no district)
ROLES_TODAY: tuple[RoleRow, ...] = (
    ("province_department", Role.DEPARTMENT_OFFICER, UnitKind.PROVINCE),
    ("province_coordinator", Role.COORDINATOR, UnitKind.PROVINCE),
    ("province_chairman", Role.APPROVER, UnitKind.PROVINCE),
)
ROLES = ROLES_2025 + ROLES_TODAY
SCOPES = ("own", "foreign")
#: who may open the dashboard of their district or province
OVERSEERS = {"district_coordinator", "province_coordinator", "district_chairman", "province_chairman"}


@dataclass(frozen=True)
class Target:
    """What "own" and "foreign" mean for one role."""

    username: str | None
    dossier_id: int
    unit_id: int
    area_id: int
    #: registered for: the level after the one the own dossier is at (the commune has none of it in 2025)
    register_level: str
    #: offered when registering a dossier
    criteria_set_id: int
    #: a plan of the area (own: huyện Thạch An's 2025 plan, inside every overseer's area; foreign: another
    #: province's)
    plan_id: int = 0


@dataclass(frozen=True)
class Call:
    method: str
    path: Callable[[Target], str]
    data: Callable[[Target], dict[str, str]] | None = None


def _everyone(signed_in: int, anonymous: int = 302) -> Callable[[str, str], int]:
    return lambda role, scope: anonymous if role == "anonymous" else signed_in


def _admin_only(admin: int) -> Callable[[str, str], int]:
    return lambda role, scope: 302 if role == "anonymous" else admin if role == "admin" else 403


def _dossier(own: int) -> Callable[[str, str], int]:
    """A dossier route: the role's own dossier answers `own`; another province's is not found (404), except
    to an admin, who may read every dossier."""

    def expected(role: str, scope: str) -> int:
        if role == "anonymous":
            return 302
        return own if scope == "own" or role == "admin" else 404

    return expected


def _dashboard(role: str, scope: str) -> int:
    if role == "anonymous":
        return 302
    if role == "admin":
        return 200
    return 200 if role in OVERSEERS and scope == "own" else 403


def _plan_form(role: str, scope: str) -> int:
    """Importing into a plan: whoever oversees its area; an empty form is refused as invalid (422)."""
    return 422 if _dashboard(role, scope) == 200 else _dashboard(role, scope)


def _register(role: str, scope: str) -> int:
    """Registering opens a dossier: only the commune's own officer, on their own commune (then redirected to
    the new dossier); everyone else is refused; a unit page is public, so a foreign unit is 403, not 404."""
    if role == "anonymous":
        return 302
    return 302 if role == "commune_officer" and scope == "own" else 403


def _dossier_form(path: str) -> Call:
    return Call("POST", lambda t: f"/ho-so/{t.dossier_id}/{path}", lambda t: {})


#: endpoint → the request made, and the expected status for (role, scope)
TABLE: dict[str, tuple[Call, Callable[[str, str], int]]] = {
    "views.index": (Call("GET", lambda t: "/"), _everyone(200, 200)),
    "views.unit": (Call("GET", lambda t: f"/don-vi/{t.unit_id}"), _everyone(200, 200)),
    "auth.login": (Call("GET", lambda t: "/dang-nhap"), _everyone(200, 200)),
    "auth.password": (Call("GET", lambda t: "/tai-khoan/mat-khau"), _everyone(200)),
    "workspace.my_work": (Call("GET", lambda t: "/viec-cua-toi"), _everyone(200)),
    "workspace.dossier": (Call("GET", lambda t: f"/ho-so/{t.dossier_id}"), _dossier(200)),
    # an empty form on a dossier the person may read: refused as invalid, with the form shown again
    "workspace.take_action": (_dossier_form("thao-tac"), _dossier(422)),
    "workspace.record_assessment": (_dossier_form("tu-danh-gia"), _dossier(422)),
    "workspace.record_assessments": (_dossier_form("tu-danh-gia/bang"), _dossier(422)),
    "workspace.attach_evidence": (_dossier_form("minh-chung"), _dossier(422)),
    "workspace.record_posting": (_dossier_form("niem-yet"), _dossier(422)),
    "workspace.record_survey": (_dossier_form("lay-y-kien"), _dossier(422)),
    "workspace.record_vote": (_dossier_form("bieu-quyet"), _dossier(422)),
    "workspace.record_announcement": (_dossier_form("thong-bao"), _dossier(422)),
    "workspace.record_model_conditions": (_dossier_form("dieu-kien-kieu-mau"), _dossier(422)),
    "workspace.confirm_condition": (_dossier_form("xac-nhan-dieu-kien"), _dossier(422)),
    "workspace.appraise": (_dossier_form("tham-tra"), _dossier(422)),
    # no such file on the dossier: not found, like a foreign dossier
    "workspace.download_evidence": (
        Call("GET", lambda t: f"/ho-so/{t.dossier_id}/minh-chung/2147483647"),
        _dossier(404),
    ),
    "workspace.register": (
        Call(
            "POST",
            lambda t: f"/don-vi/{t.unit_id}/dang-ky",
            # on 16/06/2025 (the 2021-2025 regime): the level after the one of the commune's 2025 dossier
            lambda t: {"level": t.register_level, "year": "2025", "criteria_set": str(t.criteria_set_id)},
        ),
        _register,
    ),
    # the department inbox: everyone signed in sees theirs (empty for roles that answer no task)
    "workspace.inbox": (Call("GET", lambda t: "/tham-tra"), _everyone(200)),
    # nothing ticked: refused as invalid, with the inbox shown again
    "workspace.inbox_answer": (Call("POST", lambda t: "/tham-tra", lambda t: {}), _everyone(422)),
    # the import belongs to the self-assessment: refused to whoever may not record it now (no dossier here is
    # in self-assessment for these roles), before the file is read
    "workspace.preview_assessment_import": (_dossier_form("tu-danh-gia/nhap-excel"), _dossier(403)),
    # Bootstrap's files, served from the Bootstrap-Flask package: public
    "bootstrap.static": (
        Call("GET", lambda t: "/bootstrap/static/css/bootstrap.min.css"),
        _everyone(200, 200),
    ),
    "admin.outbox": (Call("GET", lambda t: "/quan-tri/thu-dien-tu"), _admin_only(200)),
    "admin.users": (Call("GET", lambda t: "/quan-tri/nguoi-dung"), _admin_only(200)),
    # no such message: the administrator is told so (409); everyone else may not use the page
    "admin.retry": (Call("POST", lambda t: "/quan-tri/thu-dien-tu/2147483647/gui-lai", lambda t: {}), _admin_only(409)),
    "admin.reset": (Call("POST", lambda t: "/quan-tri/nguoi-dung/2147483647/mat-khau", lambda t: {}), _admin_only(404)),
    "admin.activation": (
        Call("POST", lambda t: "/quan-tri/nguoi-dung/2147483647/trang-thai", lambda t: {"active": "1"}),
        _admin_only(404),
    ),
    "admin.reorganisations": (Call("GET", lambda t: "/quan-tri/sap-xep"), _admin_only(200)),
    # no plan: refused as invalid (422), the page shown again; nothing is previewed or applied
    "admin.preview_reorganisation": (
        Call("POST", lambda t: "/quan-tri/sap-xep/xem-truoc", lambda t: {}),
        _admin_only(422),
    ),
    "admin.apply_reorganisation": (Call("POST", lambda t: "/quan-tri/sap-xep/ap-dung", lambda t: {}), _admin_only(422)),
    "dashboard.page": (Call("GET", lambda t: f"/bang-theo-doi?don-vi={t.area_id}"), _dashboard),
    "dashboard.export": (Call("GET", lambda t: f"/bang-theo-doi/xuat.xlsx?don-vi={t.area_id}"), _dashboard),
    "plans.page": (Call("GET", lambda t: f"/bang-theo-doi/ke-hoach?don-vi={t.area_id}"), _dashboard),
    "plans.export": (Call("GET", lambda t: f"/bang-theo-doi/ke-hoach/xuat.xlsx?don-vi={t.area_id}"), _dashboard),
    "plans.preview_import": (
        Call("POST", lambda t: f"/bang-theo-doi/ke-hoach/{t.plan_id}/nhap", lambda t: {}),
        _plan_form,
    ),
    "plans.confirm_import": (
        Call("POST", lambda t: f"/bang-theo-doi/ke-hoach/{t.plan_id}/nhap/luu", lambda t: {}),
        _plan_form,
    ),
    "i18n.switch_language": (Call("GET", lambda t: "/ngon-ngu/vi?next=/"), _everyone(302, 302)),
    # periodic reports: everyone signed in sees the periods they owe (none for most roles)
    "reports.my_reports": (Call("GET", lambda t: "/bao-cao"), _everyone(200)),
    # an empty form names no unit and no period: refused as invalid, the list shown again
    "reports.open_period": (Call("POST", lambda t: "/bao-cao/moi", lambda t: {}), _everyone(422)),
    # no such report: not found, like a report the person may not read
    "reports.report": (Call("GET", lambda t: "/bao-cao/2147483647"), _everyone(404)),
    "reports.save": (Call("POST", lambda t: "/bao-cao/2147483647/luu", lambda t: {}), _everyone(404)),
    "reports.submit": (Call("POST", lambda t: "/bao-cao/2147483647/nop", lambda t: {}), _everyone(404)),
    # who reported in an area: the area's coordinator or chairman, as the dashboard
    "reports.overview": (Call("GET", lambda t: f"/bao-cao/tong-hop?don-vi={t.area_id}"), _dashboard),
    "reports.overview_print": (Call("GET", lambda t: f"/bao-cao/tong-hop/in?don-vi={t.area_id}"), _dashboard),
    "reports.overview_xlsx": (Call("GET", lambda t: f"/bao-cao/tong-hop/xuat.xlsx?don-vi={t.area_id}"), _dashboard),
    # a unit's watched values are read by everyone signed in (like the unit's page); recorded by its officers
    "reports.watch": (Call("GET", lambda t: f"/chi-tieu-theo-doi?don-vi={t.unit_id}"), _everyone(200)),
    # an empty form names no unit: refused as invalid, the page shown again
    "reports.record_watch": (Call("POST", lambda t: "/chi-tieu-theo-doi", lambda t: {}), _everyone(422)),
    "tokens.index": (Call("GET", lambda t: "/tai-khoan/khoa-api"), _everyone(200)),
    # an empty form: refused as invalid, shown again; a token nobody has: not found
    "tokens.create": (Call("POST", lambda t: "/tai-khoan/khoa-api", lambda t: {}), _everyone(422)),
    "tokens.revoke": (Call("POST", lambda t: "/tai-khoan/khoa-api/2147483647/thu-hoi", lambda t: {}), _everyone(404)),
    # last for each role: it ends the session
    "auth.logout": (Call("POST", lambda t: "/dang-xuat", lambda t: {}), _everyone(302)),
}


def _checked_routes(app: Flask) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith("/api/")
    }


def test_every_route_has_a_row(app: Flask) -> None:
    assert _checked_routes(app) == set(TABLE)


def test_every_role_is_tried_once() -> None:
    names = [name for name, _, _ in ROLES]
    assert len(names) == len(set(names)) and set(names) >= OVERSEERS
    assert {role for _, role, _ in ROLES} == {None, *Role}


# --- the demo as each role sees it ---------------------------------------------------------------------


def _foreign(session: Session) -> tuple[int, int, int]:
    """Another province with a commune and its registered dossier: (dossier, commune, province) ids."""
    model = session.scalars(select(Dossier).order_by(Dossier.id)).first()
    assert model is not None
    province = Unit(name="Tỉnh Khác", kind=UnitKind.PROVINCE, code="98")
    session.add(province)
    session.flush()
    commune = Unit(name="Xã Khác", kind=UnitKind.COMMUNE, code="98001", parent_id=province.id, region=model.unit.region)
    session.add(commune)
    session.flush()
    dossier = Dossier(
        unit_id=commune.id,
        level=model.level,
        year=model.year,
        kind=model.kind,
        criteria_set_id=model.criteria_set_id,
        state="registered",
        authority_unit_id=province.id,
        decider_unit_id=province.id,
        route=model.route,
        created_at=model.created_at,
        updated_at=model.updated_at,
    )
    session.add(dossier)
    session.commit()
    return dossier.id, commune.id, province.id


def _own(session: Session, role: Role | None, kind: UnitKind | None, today: dt.date) -> tuple[str | None, int, int]:
    """An account holding `role` on a unit of `kind` with a dossier at or below it (or, for a department, a
    dossier its unit appraises), that dossier, and the unit; units still existing at the test's clock first."""
    first_dossier = session.scalars(select(Dossier.id).order_by(Dossier.id)).first()
    first_area = session.scalars(select(Unit.id).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.id)).first()
    assert first_dossier is not None and first_area is not None
    if role is None:
        return None, first_dossier, first_area
    holders = session.execute(
        select(RoleAssignment, User.username)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == role)
        .order_by(User.id)
    ).all()
    if role == Role.ADMIN:
        return holders[0][1], first_dossier, first_area
    candidates = []
    for assignment, username in holders:
        unit = assignment.department.unit if assignment.department is not None else assignment.unit
        if unit is None or unit.kind != kind:
            continue
        if assignment.department is not None:
            dossiers = select(Dossier.id).where(Dossier.authority_unit_id == unit.id)
        else:
            dossiers = select(Dossier.id).where(Dossier.unit_id.in_(descendant_ids(session, unit.id)))
        dossier_id = session.scalars(dossiers.order_by(Dossier.id)).first()
        if dossier_id is not None:
            candidates.append((not unit.is_valid_on(today), username, dossier_id, unit.id))
    assert candidates, f"no demo account holds {role} on a {kind} with a dossier"
    _, username, dossier_id, unit_id = min(candidates, key=lambda c: c[0])
    return username, dossier_id, unit_id


#: level of a dossier → the level after it, and its 2021-2025 criteria set
NEXT_LEVEL = {
    RecognitionLevel.COMMUNE_NTM: (RecognitionLevel.COMMUNE_ADVANCED.value, "xa-ntm-nang-cao-2021"),
    RecognitionLevel.COMMUNE_ADVANCED: (RecognitionLevel.COMMUNE_MODEL.value, "xa-ntm-kieu-mau-2021"),
}


def _targets(session: Session, row: RoleRow, today: dt.date) -> dict[str, Target]:
    """What "own" and "foreign" mean for one role."""
    _, role, kind = row
    foreign_dossier, foreign_commune, foreign_province = _foreign(session)
    username, dossier_id, unit_id = _own(session, role, kind, today)
    own_dossier = session.get(Dossier, dossier_id)
    assert own_dossier is not None
    level, set_code = NEXT_LEVEL.get(own_dossier.level, NEXT_LEVEL[RecognitionLevel.COMMUNE_NTM])
    criteria_set = session.scalars(select(CriteriaSet.id).where(CriteriaSet.code == set_code)).first()
    assert criteria_set is not None
    own_plan, foreign_plan = _plans(session, foreign_province)
    return {
        "own": Target(username, dossier_id, unit_id, unit_id, level, criteria_set, own_plan),
        "foreign": Target(
            username, foreign_dossier, foreign_commune, foreign_province, level, criteria_set, foreign_plan
        ),
    }


def _plans(session: Session, foreign_province: int) -> tuple[int, int]:
    """The demo's plan (huyện Thạch An 2025) and a plan of the foreign province, made here."""
    own = session.scalars(select(Plan.id).order_by(Plan.id)).first()
    assert own is not None
    foreign = Plan(
        unit_id=foreign_province,
        year=2025,
        title="Kế hoạch của tỉnh khác",
        source="thử",
        confidence="low",
        loaded_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC),
    )
    session.add(foreign)
    session.commit()
    return own, foreign.id


@pytest.mark.parametrize("row", ROLES_2025, ids=[name for name, _, _ in ROLES_2025])
def test_each_route_answers_each_role_before_the_reorganisation(
    app: Flask, client: FlaskClient, session: Session, demo_world: DemoWorld, row: RoleRow
) -> None:
    _check_table(app, client, row[0], _targets(session, row, ACTING_AT.date()), ACTING_AT)


@pytest.mark.parametrize("row", ROLES_TODAY, ids=[name for name, _, _ in ROLES_TODAY])
def test_each_route_answers_each_role_today(
    app: Flask, client: FlaskClient, session: Session, demo_today: DemoWorld, row: RoleRow
) -> None:
    _check_table(app, client, row[0], _targets(session, row, TODAY_AT.date()), TODAY_AT)


def _check_table(app: Flask, client: FlaskClient, role: str, targets: dict[str, Target], now: dt.datetime) -> None:
    app.config["NTM_CLOCK"] = lambda: now
    wrong = []
    for scope in SCOPES:
        target = targets[scope]
        if target.username is not None:
            # one session for the whole table: only signing out (its last row) ends it
            signed = client.post("/dang-nhap", data={"username": target.username, "password": DEMO_PASSWORD})
            assert signed.status_code == 302, target.username
        for endpoint, (call, expected) in TABLE.items():
            path = call.path(target)
            if call.method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data=call.data(target) if call.data else {})
            response.close()  # a file sent from disk (Bootstrap's) is streamed until closed
            want = expected(role, scope)
            if response.status_code != want:
                wrong.append(
                    f"{endpoint} {call.method} {path} as {role}/{scope}: {response.status_code}, expected {want}"
                )
            elif want == 302 and role == "anonymous" and endpoint not in ("views.index", "i18n.switch_language"):
                location = response.headers["Location"]
                if "/dang-nhap" not in location:
                    wrong.append(f"{endpoint} as anonymous redirects to {location}, not to sign-in")
    assert not wrong, "\n".join(wrong)
