"""Hostile values in every form of every route, as the right user and as a foreign one: never a 5xx, and
when the answer is an error, the database is exactly as before (row counts of every table and a checksum
of every table a form writes)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from dossiers.db import Base
from dossiers.demo import REFORM_PLAN
from dossiers.models import Dossier, PeriodicReport, Plan, Unit, WatchedIndicator
from dossiers.planning.reports import open_report, save_report
from dossiers.procedure_facts import tasks_of
from dossiers.reorganisation import builtin_plan_path
from dossiers.settings import Settings
from tests.demo_database import DemoWorld
from tests.web.workspace_demo import ACTING_AT, sign_in, user
from web.security import IdConverter

HOSTILE: list[str | bytes] = [
    "",
    "x" * (1024 * 1024),
    "\x00\x01\x02\x1b\x7f\u202e",
    b"\xff\xfe\xc3(\x80",  # not UTF-8
    "99999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "1e999",
    "31/02/2025",
    "00/00/0000",
]

#: tables a form can change: compared row by row; every other table (the audit log is append-only) by its count
WRITTEN = (
    "appraisal_items", "appraisal_tasks", "assessments", "condition_confirmations", "consultations",
    "dossiers", "evidence", "model_conditions", "recognitions", "reassessments", "supplement_items",
    "supplement_requests", "users", "role_assignments", "outbox_messages", "api_tokens", "plans", "plan_targets",
    "periodic_reports", "report_submissions", "watched_values", "watch_episodes",
)  # fmt: skip


#: a target table a coordinator of huyện Thạch An could confirm, for the plan import
PLAN_TABLE = "Loại chỉ tiêu,Đơn vị,Mức\nXã đạt chuẩn,Đức Xuân,NTM\n"
#: the built-in plan of 1/7/2025, for the reorganisation forms
REFORM_PLAN_TEXT = builtin_plan_path(REFORM_PLAN).read_text(encoding="utf-8")


def snapshot(connection: Connection) -> dict[str, object]:
    tables = sorted(Base.metadata.tables)  # our own table names, not input
    counts = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM {name}" for name in tables)  # noqa: S608
    taken: dict[str, object] = dict(connection.execute(text(counts)).all())  # type: ignore[arg-type]
    for name in WRITTEN:
        table = Base.metadata.tables[name]
        rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
        taken[f"{name}#"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return taken


@pytest.fixture
def world(demo_world: DemoWorld) -> DemoWorld:
    """The demo with its 2025 dossiers, loaded once per test session (see tests/conftest.py)."""
    return demo_world


@pytest.fixture
def fuzz_app(app: Flask, settings: Settings) -> Flask:
    app.config["NTM_CLOCK"] = lambda: ACTING_AT
    # the fuzzing signs in hundreds of times from one address: the limits have their own tests
    app.config["NTM_SETTINGS"] = dataclasses.replace(
        settings, login_limit_account="100000 per minute", login_limit_address="100000 per minute"
    )
    return app


def _forms(world: DemoWorld, session: Session) -> dict[str, dict[str, str]]:
    """endpoint → a plausible form; the fuzz replaces one input at a time."""
    le_loi = session.get(Dossier, world.dossiers["Lê Lợi"])
    assert le_loi is not None
    version = str(le_loi.version)
    # the inbox's form as the department of Phòng Tài nguyên và Môi trường would send it (see INBOX_USERS)
    duc_xuan = session.get_one(Dossier, world.dossiers["Đức Xuân"])
    task = next(t for t in tasks_of(session, duc_xuan) if t.department and t.department.code == "tn-mt")
    code = next(item.indicator.code for item in task.items if item.decision is None)
    dossier = {"version": version}
    draft = _draft_report(world, session)
    water = session.scalars(
        select(WatchedIndicator).where(WatchedIndicator.year == 2025, WatchedIndicator.code == "nuoc-sach")
    ).one()
    return {
        "workspace.take_action": {**dossier, "action": "submit", "comment": "Trình", "decision_number": "12/QĐ"},
        "workspace.record_assessment": {**dossier, "code": "1.1", "met": "1", "value": "Đạt", "note": "Ghi chú"},
        "workspace.record_assessments": {
            **dossier, "criterion": "1", "met:1.1": "1", "value:1.1": "Đạt", "note:1.1": "Ghi chú", "met:2.1": "0",
        },
        "workspace.attach_evidence": {**dossier, "code": "1.1"},
        "workspace.record_posting": {**dossier, "start": "01/05/2025", "end": "20/05/2025", "announcements": "3"},
        "workspace.record_survey": {
            **dossier, "households_total": "100", "households_reached": "90", "households_satisfied": "80",
        },
        "workspace.record_vote": {**dossier, "votes_total": "10", "votes_in_favour": "9"},
        "workspace.record_announcement": {**dossier, "start": "01/06/2025", "end": "20/06/2025"},
        "workspace.record_model_conditions": {
            **dossier, "income_per_capita": "70000000", "advanced_income_level": "60000000",
            "hamlet_1": "1", "product_1": "Mật ong", "sold_on_1": "postmart.vn",
            "outstanding_field": "van-hoa", "outstanding_field_met": "1",
        },
        "workspace.confirm_condition": {**dossier, "condition": "x", "holds": "1", "note": "ok"},
        "workspace.appraise": {**dossier, "task": "1", "decision": "return", "codes": "1.1", "reason-1.1": "Thiếu"},
        "workspace.preview_assessment_import": {"sheet": "1"},
        "workspace.inbox_answer": {
            "decision": "return", "pick": f"{duc_xuan.id}:{task.id}:{code}",
            f"version:{duc_xuan.id}": str(duc_xuan.version),
            f"reason:{duc_xuan.id}:{code}": "Thiếu", "comment": "Ý kiến",
        },
        "workspace.register": {"level": "xa_ntm", "year": "2026", "criteria_set": "1"},
        "auth.login": {"username": "xa.leloi", "password": "sai-mat-khau"},
        "auth.password": {"current": "sai-mat-khau", "new": "mot-mat-khau-moi-kha-dai", "confirm": "khac"},
        "admin.reset": {"password": "mot-mat-khau-moi-kha-dai"},
        "admin.activation": {"active": "1"},
        "admin.retry": {},
        "admin.preview_reorganisation": {"plan": REFORM_PLAN_TEXT},
        "admin.apply_reorganisation": {"plan": REFORM_PLAN_TEXT, "confirm": REFORM_PLAN},
        "tokens.create": {"name": "Cổng dịch vụ công", "days": "30"},
        "tokens.revoke": {},
        "plans.preview_import": {"sheet": "1"},
        "plans.confirm_import": {"noi-dung": PLAN_TABLE},
        "reports.open_period": {"code": "report-monthly", "period": "2025-06", "don-vi": str(le_loi.unit_id)},
        "reports.save": {
            "version": str(draft.version), "results": "Kết quả", "difficulties": "Khó khăn", "proposals": "",
            f"figure:{water.id}": "70",
        },
        "reports.submit": {"version": str(draft.version), "confirm": "1", "document_ref": "Số 1/BC-UBND"},
        "reports.record_watch": {"don-vi": str(le_loi.unit_id), "thang": "06/2025", f"value:{water.id}": "70"},
    }  # fmt: skip


def _draft_report(world: DemoWorld, session: Session) -> PeriodicReport:
    """Lê Lợi's monthly report of May 2025, drafted with its results written: the report forms' target."""
    officer = user(session, "xa.leloi")
    unit = session.get_one(Unit, world.units["Lê Lợi"])
    draft = open_report(session, officer, ACTING_AT, code="report-monthly", period="2025-05", unit=unit)
    if not draft.sections:
        save_report(session, officer, ACTING_AT, draft, expected_version=draft.version, sections={"results": "Tháng 5"})
        session.commit()
    return draft


def _url(app: Flask, endpoint: str, world: DemoWorld, session: Session) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    ids = {
        "dossier_id": world.dossiers["Lê Lợi"],
        "unit_id": world.units["Lê Lợi"],
        "user_id": user(session, "mttq.leloi").id,  # never one the fuzz signs in as
        "message_id": 1,
        "token_id": 1,
        "report_id": _draft_report(world, session).id,
        "plan_id": session.scalars(select(Plan.id).order_by(Plan.id)).one(),
    }
    url = rule.rule
    for name, converter in rule._converters.items():
        assert isinstance(converter, IdConverter)
        url = url.replace(f"<int:{name}>", str(ids[name]))
    return url


def _post(client: FlaskClient, url: str, form: dict[str, str | bytes], *, with_file: bool) -> int:
    if with_file:
        data: dict[str, object] = {
            key: value.decode("latin-1") if isinstance(value, bytes) else value for key, value in form.items()
        }
        data["file"] = FileStorage(io.BytesIO(b"%PDF-1.7\n"), "bien-ban.pdf", "file", "application/pdf")
        # encoded here, in memory: the test client would spool a large body to a file it never closes
        boundary, body = encode_multipart(MultiDict(data))
        return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}").status_code
    body = urlencode(form).encode()
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded").status_code


POSTS = [
    "workspace.take_action", "workspace.record_assessment", "workspace.record_assessments",
    "workspace.attach_evidence", "workspace.record_posting",
    "workspace.record_survey", "workspace.record_vote", "workspace.record_announcement",
    "workspace.record_model_conditions", "workspace.confirm_condition", "workspace.appraise", "workspace.register",
    "workspace.inbox_answer", "workspace.preview_assessment_import",
    "auth.login", "auth.password", "admin.reset", "admin.activation", "admin.retry", "tokens.create", "tokens.revoke",
    "admin.preview_reorganisation", "admin.apply_reorganisation", "plans.preview_import", "plans.confirm_import",
    "reports.open_period", "reports.save", "reports.submit", "reports.record_watch",
]  # fmt: skip


#: the inbox is a department's: the right user answers its own task, the foreign one is another department
INBOX_USERS = ("phong.tn-mt", "phong.nn-ptnt")


def test_every_form_route_is_fuzzed(fuzz_app: Flask) -> None:
    # the API's routes take JSON, not forms: schemathesis fuzzes them from the OpenAPI document (.ci/run)
    posts = {
        r.endpoint
        for r in fuzz_app.url_map.iter_rules()
        if "POST" in (r.methods or set()) and not r.rule.startswith("/api/")
    }
    assert posts - set(POSTS) == {"auth.logout"}  # no input to fuzz; sign-out is tested on its own


@pytest.mark.parametrize("endpoint", POSTS)
@pytest.mark.parametrize("who", ["right", "foreign"])
def test_hostile_values_never_break_a_form(
    fuzz_app: Flask, world: DemoWorld, session: Session, connection: Connection, endpoint: str, who: str
) -> None:
    right, foreign = ("admin", "xa.leloi") if endpoint.startswith("admin.") else ("xa.leloi", "xa.duclong")
    right, foreign = INBOX_USERS if endpoint == "workspace.inbox_answer" else (right, foreign)
    # a plan's targets are changed by whoever oversees its area; a commune officer may not
    right, foreign = ("dieuphoi.thachan", "xa.leloi") if endpoint.startswith("plans.") else (right, foreign)
    username = right if who == "right" else foreign
    client = fuzz_app.test_client()
    base = _forms(world, session)[endpoint]
    url = _url(fuzz_app, endpoint, world, session)
    sign_in(client, username)
    before = snapshot(connection)
    # the right user: one input at a time (the others plausible); a foreign user: every input at once
    fields: list[tuple[str, ...]] = [(field,) for field in base] if who == "right" else [tuple(base) or ("x",)]
    failures = []
    for changed_fields in fields:
        for value in HOSTILE:
            form: dict[str, str | bytes] = {**base, **dict.fromkeys(changed_fields, value)}
            field = ",".join(changed_fields)
            with_file = endpoint in (
                "workspace.attach_evidence",
                "workspace.preview_assessment_import",
                "plans.preview_import",
            )
            status = _post(client, url, form, with_file=with_file)
            after = snapshot(connection)
            if status >= 500:
                failures.append(f"{field}={value[:40]!r}: {status}")
            elif status >= 400 and after != before:
                changed = [key for key in after if after[key] != before.get(key)]
                failures.append(f"{field}={value[:40]!r}: {status} but {changed} changed")
            before = after
            if endpoint == "auth.login" and status == 302:
                sign_in(client, username)
    assert failures == []
