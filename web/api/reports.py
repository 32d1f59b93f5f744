"""`/api/v1/reports`: a unit's (or department's) periodic report written and submitted from another system
(a provincial reporting tool), through the same services as the page `/bao-cao/<id>` and the same "who may"."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from dossiers.access import load_actor, person_of
from dossiers.models import Department, PeriodicReport, Unit, WatchedValue
from dossiers.planning.reports import (
    ReportError,
    StaleReportError,
    open_report,
    report_occurrence,
    save_report,
    submit_report,
)
from dossiers.planning.rules import RuleBook
from dossiers.planning.watch import WatchError
from dossiers.territory import load_territory
from web.api import schemas as s
from web.api.auth import api_user, protect
from web.api.errors import json_error
from web.clock import request_now
from web.messages import describe
from web.session import request_session
from workflow import permissions
from workflow.errors import NotPermitted, WorkflowError

bp = Blueprint("api-reports", __name__, description="Báo cáo định kỳ của xã, phòng, sở")
protect(bp)


def _status(exc: WorkflowError) -> int:
    if isinstance(exc, NotPermitted):
        return 403
    if isinstance(exc, StaleReportError):
        return 409
    if isinstance(exc, ReportError | WatchError):
        return 422
    return 409


def _body(report: PeriodicReport) -> dict[str, Any]:
    session = request_session()
    anchor = report.unit_id if report.unit_id is not None else report.department.unit_id if report.department else 0
    book = RuleBook.load(session)
    occurrence = report_occurrence(report, book.rules, load_territory(session, [anchor]).authority_chain(anchor))
    figures = session.execute(
        select(WatchedValue.watched_indicator_id, WatchedValue.text).where(WatchedValue.report_id == report.id)
    ).all()
    return {
        "id": report.id,
        "code": report.obligation_code,
        "period": report.period,
        "period_label": occurrence.label,
        "unit_id": report.unit_id,
        "department_id": report.department_id,
        "state": report.state,
        "due_at": report.due_at,
        "submitted_at": report.submitted_at,
        "late": report.late,
        "sections": {key: str(value) for key, value in report.sections.items()},
        "figures": {str(indicator_id): text for indicator_id, text in figures},
        "version": report.version,
    }


@bp.route("/reports", methods=["POST"])
@bp.arguments(s.ReportBody)
@bp.response(201, s.ReportSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def write_report(body: dict[str, Any]) -> Any:
    """Open (or find) the report of `period`, save its sections and the watched figures of its month, and
    submit it when `submit` is true. A submitted report is final; one submitted after its due date is late."""
    session, now, user = request_session(), request_now(), api_user()
    unit = session.get(Unit, body["unit_id"]) if body["unit_id"] is not None else None
    department = session.get(Department, body["department_id"]) if body["department_id"] is not None else None
    if unit is None and department is None:
        return json_error(404)
    rules = RuleBook.load(session).rules
    try:
        report = open_report(
            session, user, now, code=body["code"], period=body["period"], unit=unit, department=department,
            rules_for=rules,
        )  # fmt: skip
        figures = {int(key): value for key, value in body["figures"].items()}
        if report.state == "draft":
            save_report(
                session, user, now, report, expected_version=report.version, sections=body["sections"],
                figures=figures, rules_for=rules,
            )  # fmt: skip
        if body["submit"]:
            submit_report(
                session, user, now, report, expected_version=report.version, document_ref=body["document_ref"]
            )
    except WorkflowError as exc:
        session.rollback()
        return json_error(_status(exc), exc.code, describe(exc))
    session.commit()
    return _body(report), 201


@bp.route("/reports/<int:report_id>", methods=["GET"])
@bp.response(200, s.ReportSchema)
@bp.alt_response(404, response="NOT_FOUND")
def read_report(report_id: int) -> Any:
    """A report, to its unit's (or department's) officers and to whoever oversees the unit's area."""
    session, now, user = request_session(), request_now(), api_user()
    report = session.get(PeriodicReport, report_id)
    if report is None:
        return json_error(404)
    if not permissions.may_report(person_of(user), unit_id=report.unit_id, department_id=report.department_id):
        anchor = report.unit_id if report.unit_id is not None else report.department.unit_id if report.department else 0
        if not permissions.may_oversee(
            load_actor(session, user, now), load_territory(session, [anchor]).scope_ids(anchor)
        ):
            return json_error(404)
    return _body(report)
