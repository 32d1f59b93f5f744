"""Dossiers over the API: list, register, read (assessments, sign-offs, allowed actions, supplement
requests, history), assessments in bulk, evidence, and every action of the procedure.

Each change builds the frozen command of `dossiers/commands.py` and calls `dossiers.handlers.handle`,
exactly as the pages do; the version the client saw comes from `If-Match` (the dossier's `ETag`).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, make_response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from dossiers import commands as c
from dossiers.access import load_actor, viewable
from dossiers.context import DossierContext
from dossiers.evidence import EvidencePolicy, read_evidence, served_type
from dossiers.handlers import handle, supplement_requests
from dossiers.models import AuditEvent, CriteriaSet, Dossier, Evidence, Unit
from dossiers.procedure_facts import procedure_of
from dossiers.settings import Settings
from web.api import schemas as s
from web.api.auth import api_user, protect
from web.api.errors import flatten, json_error, workflow_error
from web.clock import request_now
from web.messages import state_label
from web.session import request_session
from workflow import permissions
from workflow.actions import Action
from workflow.errors import NotFound, WorkflowError
from workflow.procedures import UnknownProcedure
from workflow.vocabulary import RecognitionLevel

bp = Blueprint("dossiers", __name__, description="Hồ sơ: đăng ký, đọc, tự đánh giá, minh chứng, thao tác")
protect(bp)

IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "the dossier's ETag as last read (`*`: whatever the current version is)",
}
ETAG_HEADER = {"ETag": {"description": "the dossier's version", "schema": {"type": "string"}}}


def etag_of(dossier: Dossier) -> str:
    return f'"{dossier.id}-{dossier.version}"'


class Refused(Exception):  # noqa: N818 - a response waiting to be sent, not an error of the domain
    def __init__(self, response: Response) -> None:
        self.response = response


def _context(session: Session, dossier_id: int) -> DossierContext:
    """The dossier once the token's user may read it: 404 when there is none or it is not theirs to read
    (as on the pages: a dossier one may not read is as good as one that does not exist)."""
    dossier = session.get(Dossier, dossier_id, options=[joinedload(Dossier.unit), joinedload(Dossier.criteria_set)])
    if dossier is None:
        raise Refused(json_error(404))
    now = request_now()
    context = DossierContext(session, dossier, load_actor(session, api_user(), now), now)
    if not permissions.may_view(context.actor, context.view_seats):
        raise Refused(json_error(404))
    return context


def _expected_version(dossier: Dossier) -> int | None:
    """The version named by If-Match: 428 without one, 412 when the dossier has moved on since."""
    if not request.if_match:
        raise Refused(json_error(428))
    if request.if_match.star_tag:
        return None
    if not request.if_match.contains(etag_of(dossier).strip('"')):
        raise Refused(json_error(412))
    return dossier.version


def _refusals(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Refused as refused:
            request_session().rollback()
            return refused.response

    return wrapper


# --- reading --------------------------------------------------------------------------------------------


def _label(dossier: Dossier) -> str:
    try:
        return state_label(procedure_of(dossier), dossier.state)
    except UnknownProcedure:
        return dossier.state


def summary(dossier: Dossier) -> dict[str, Any]:
    return {
        "id": dossier.id,
        "unit": {"id": dossier.unit.id, "name": dossier.unit.name, "kind": dossier.unit.kind},
        "unit_id": dossier.unit_id,
        "level": dossier.level,
        "year": dossier.year,
        "kind": dossier.kind,
        "state": dossier.state,
        "state_label": _label(dossier),
        "route": dossier.route,
        "criteria_set_id": dossier.criteria_set_id,
        "authority_unit_id": dossier.authority_unit_id,
        "decider_unit_id": dossier.decider_unit_id,
        "version": dossier.version,
        "created_at": dossier.created_at,
        "updated_at": dossier.updated_at,
    }


def _assessments(context: DossierContext) -> list[dict[str, Any]]:
    code_of = context.code_of
    return [
        {
            "code": code_of.get(a.indicator_id, ""),
            "met": a.met,
            "value": a.value,
            "note": a.note,
            "assessed_at": a.assessed_at,
        }
        for a in sorted(context.assessments.values(), key=lambda a: a.id)
    ]


def detail(context: DossierContext) -> dict[str, Any]:
    session, dossier = context.session, context.dossier
    code_of = context.code_of
    procedure = context.procedure
    allowed = permissions.offered_actions(
        procedure, dossier.state, context.actor, context.view_seats, context.task_seats
    )
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.id)
    ).all()
    return {
        **summary(dossier),
        "allowed_actions": list(allowed),
        "assessments": _assessments(context),
        "sign_offs": [
            {
                "task_id": task.id,
                "label": task.label,
                "department_id": task.department_id,
                "round": task.round,
                "opened_at": task.opened_at,
                "answered_at": task.answered_at,
                "items": [
                    {
                        "code": code_of.get(item.indicator_id, ""),
                        "decision": item.decision,
                        "reason": item.reason,
                        "decided_at": item.decided_at,
                    }
                    for item in task.items
                ],
            }
            for task in context.tasks
        ],
        "supplement_requests": [
            {
                "id": r.id,
                "round": r.round,
                "issued_at": r.issued_at,
                "resolved_at": r.resolved_at,
                "text": r.text,
                "items": [
                    {"code": code_of.get(i.indicator_id, ""), "department_id": i.department_id, "reason": i.reason}
                    for i in r.items
                ],
            }
            for r in supplement_requests(session, dossier)
        ],
        "history": [
            {
                "id": e.id,
                "occurred_at": e.occurred_at,
                "action": e.action,
                "actor_id": e.actor_id,
                "on_behalf_of_id": e.on_behalf_of_id,
                "role": e.role,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "comment": e.comment,
            }
            for e in events
        ],
    }


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


_DOSSIER = "/api/v1/dossiers/{dossier_id}"
#: what a client (and schemathesis' stateful phase) can do next with a dossier it just registered
REGISTERED_LINKS = {
    201: {
        "links": {
            name: {"operationRef": _ref(path, method), "parameters": {"dossier_id": "$response.body#/id"}}
            for name, path, method in (
                ("ReadDossier", _DOSSIER, "get"),
                ("ReadAssessments", f"{_DOSSIER}/assessments", "get"),
                ("UpdateAssessments", f"{_DOSSIER}/assessments", "patch"),
                ("ListEvidence", f"{_DOSSIER}/evidence", "get"),
                ("Withdraw", f"{_DOSSIER}/actions/withdraw", "post"),
            )
        }
    }
}


def _with_etag(body: Any, dossier: Dossier, status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["ETag"] = etag_of(dossier)
    return response


@bp.arguments(s.DossierQuery, location="query", unknown="raise", as_kwargs=True)
@bp.response(200, s.DossierPageSchema)
def list_dossiers(page: int, per_page: int, **filters: Any) -> dict[str, Any]:
    """Hồ sơ the caller may read, newest first (filters: state, year, unit, level, kind)."""
    session = request_session()
    query = select(Dossier).options(joinedload(Dossier.unit)).order_by(Dossier.id.desc())
    for name in ("state", "year", "unit_id", "level", "kind"):
        if filters.get(name) is not None:
            query = query.where(getattr(Dossier, name) == filters[name])
    actor = load_actor(session, api_user(), request_now())
    # who may read is decided by `workflow.permissions` on each dossier's seats, in a fixed number of queries
    visible = viewable(session, actor, session.scalars(query).unique().all())
    start = (page - 1) * per_page
    return {
        "items": [summary(d) for d in visible[start : start + per_page]],
        "page": page,
        "per_page": per_page,
        "total": len(visible),
    }


@bp.arguments(s.RegisterSchema)
@bp.response(201, s.DossierDetailSchema, headers=ETAG_HEADER)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.doc(responses=REGISTERED_LINKS)
@_refusals
def register(data: dict[str, Any]) -> Response:
    """Đăng ký hồ sơ (register) for a unit, a level and a year: `Register`, as the unit page does."""
    session, user, now = request_session(), api_user(), request_now()
    if session.get(Unit, data["unit_id"]) is None:
        return json_error(404, message=str(NotFound("đơn vị", data["unit_id"]).message))
    if session.get(CriteriaSet, data["criteria_set_id"]) is None:
        return json_error(422, errors={"criteria_set_id": ["Không có bộ tiêu chí này."]})
    command = c.Register(
        unit_id=data["unit_id"],
        level=RecognitionLevel(data["level"]),
        year=data["year"],
        criteria_set_id=data["criteria_set_id"],
        outstanding_field=data["outstanding_field"],
    )
    try:
        dossier = handle(session, user, now, command).opened()
        session.flush()
    except WorkflowError as exc:
        session.rollback()
        return workflow_error(exc)
    except IntegrityError:
        session.rollback()
        return json_error(409, "duplicate_dossier")
    session.commit()
    context = _context(session, dossier.id)
    return _with_etag(s.DossierDetailSchema().dump(detail(context)), dossier, 201)


@bp.route("/dossiers/<int:dossier_id>", methods=["GET"])
@bp.response(200, s.DossierDetailSchema, headers=ETAG_HEADER)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@_refusals
def read_dossier(dossier_id: int) -> Response:
    """A dossier with its assessments, sign-offs, the caller's allowed actions, supplement requests and history."""
    context = _context(request_session(), dossier_id)
    return _with_etag(s.DossierDetailSchema().dump(detail(context)), context.dossier)


@bp.route("/dossiers")
class Dossiers(MethodView):
    """One rule per path, every method on it: an id out of range is then 404 for every method (Werkzeug
    answers 405 when a path's rules differ by method and the id fails its converter)."""

    get = staticmethod(list_dossiers)
    post = staticmethod(register)


# --- changing -------------------------------------------------------------------------------------------


def _apply(dossier_id: int, build: Callable[[DossierContext, int | None], c.DossierCommand]) -> Response:
    """Read, check If-Match, build the command, handle it, commit once; the dossier as it now is."""
    session, user, now = request_session(), api_user(), request_now()
    context = _context(session, dossier_id)
    expected = _expected_version(context.dossier)
    try:
        handle(session, user, now, build(context, expected))
        session.flush()
    except WorkflowError as exc:
        session.rollback()
        procedure = None
        with contextlib.suppress(UnknownProcedure):
            procedure = procedure_of(session.get(Dossier, dossier_id) or context.dossier)
        return workflow_error(exc, procedure)
    session.commit()
    fresh = _context(session, dossier_id)
    return _with_etag(s.DossierDetailSchema().dump(detail(fresh)), fresh.dossier)


@bp.response(200, s.AssessmentListSchema, headers=ETAG_HEADER)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@_refusals
def read_assessments(dossier_id: int) -> Response:
    """The self-assessment: one row per indicator assessed so far."""
    context = _context(request_session(), dossier_id)
    body = {"dossier_id": dossier_id, "version": context.dossier.version, "items": _assessments(context)}
    return _with_etag(s.AssessmentListSchema().dump(body), context.dossier)


@bp.doc(parameters=[IF_MATCH])
@bp.arguments(s.AssessmentsUpdateSchema)
@bp.response(200, s.DossierDetailSchema, headers=ETAG_HEADER)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(412, response="PRECONDITION_FAILED")
@bp.alt_response(428, response="PRECONDITION_REQUIRED")
@_refusals
def update_assessments(data: dict[str, Any], dossier_id: int) -> Response:
    """Record or correct any number of indicators in one call: one transaction, one audit event."""

    def build(context: DossierContext, expected: int | None) -> c.DossierCommand:
        entries = tuple(
            c.AssessmentEntry(e["code"], met=e["met"], value=e["value"], note=e["note"]) for e in data["entries"]
        )
        return c.RecordAssessments(
            dossier_id=dossier_id, expected_version=expected, comment=data["comment"], entries=entries
        )

    return _apply(dossier_id, build)


@bp.route("/dossiers/<int:dossier_id>/assessments")
class Assessments(MethodView):
    get = staticmethod(read_assessments)
    patch = staticmethod(update_assessments)


def _command_for(action: str, data: dict[str, Any], dossier_id: int, expected: int | None) -> c.DossierCommand:
    common: dict[str, Any] = {
        "dossier_id": dossier_id,
        "expected_version": expected,
        "comment": data.get("comment"),
        "on_behalf_of_id": data.get("on_behalf_of_id"),
    }
    if action in c.PLAIN_COMMANDS:
        return c.plain_command(
            action, decision_number=data.get("decision_number"), decided_on=data.get("decision_date"), **common
        )
    if action == Action.RECORD_POSTING:
        return c.RecordPosting(**common, start=data["start"], end=data["end"], announcements=data["announcements"])
    if action == Action.RECORD_ANNOUNCEMENT:
        return c.RecordAnnouncement(**common, start=data["start"], end=data["end"])
    if action == Action.RECORD_SURVEY:
        return c.RecordSurvey(
            **common,
            households_total=data["households_total"],
            households_reached=data["households_reached"],
            households_satisfied=data["households_satisfied"],
        )
    if action == Action.RECORD_VOTE:
        return c.RecordVote(**common, votes_total=data["votes_total"], votes_in_favour=data["votes_in_favour"])
    if action == Action.RECORD_MODEL_CONDITIONS:
        return c.RecordModelConditions(
            **common,
            income_per_capita=data["income_per_capita"],
            advanced_income_level=data["advanced_income_level"],
            smart_hamlet_models=data["smart_hamlet_models"],
            smart_hamlets=tuple(
                c.SmartHamlet(entry["hamlet_id"], entry["product"], entry["sold_on"]) for entry in data["smart_hamlets"]
            ),
            outstanding_field=data["outstanding_field"],
            outstanding_field_met=data["outstanding_field_met"],
        )
    if action == Action.APPROVE_INDICATORS:
        codes = tuple(dict.fromkeys(data["codes"])) if data["codes"] is not None else None
        return c.ApproveIndicators(**common, codes=codes, department_id=data["department_id"])
    if action == Action.RETURN_INDICATORS:
        reasons = {row["code"]: row["reason"] for row in data["indicators"]}
        return c.ReturnIndicators(**common, reasons=reasons, department_id=data["department_id"])
    if action == Action.CONFIRM_CONDITION:
        return c.ConfirmCondition(**common, condition=data["condition"], holds=data["holds"], note=data["note"])
    raise KeyError(action)


def _action_view(action: str, schema: type[s.ActionSchema]) -> None:
    def take(data: dict[str, Any], dossier_id: int) -> Response:
        return _apply(dossier_id, lambda _context, expected: _command_for(action, data, dossier_id, expected))

    take.__name__ = f"action_{action}"
    take.__doc__ = f"`{action}`: builds `{_command_name(action)}` and hands it to the one command path."
    view: Callable[..., Any] = _refusals(take)
    for decorate in (
        bp.alt_response(428, response="PRECONDITION_REQUIRED"),
        bp.alt_response(412, response="PRECONDITION_FAILED"),
        bp.alt_response(409, response="CONFLICT", description="not allowed now: `allowed_actions` lists what is"),
        bp.alt_response(404, response="NOT_FOUND"),
        bp.alt_response(403, response="FORBIDDEN"),
        bp.response(200, s.DossierDetailSchema, headers=ETAG_HEADER),
        bp.arguments(schema),
    ):
        view = decorate(view)
    bp.route(
        f"/dossiers/<int:dossier_id>/actions/{action}",
        methods=["POST"],
        endpoint=f"action_{action}",
        parameters=[IF_MATCH],
    )(view)


def _command_name(action: str) -> str:
    if action in c.PLAIN_COMMANDS:
        return c.PLAIN_COMMANDS[action].__name__
    names = {
        Action.RECORD_POSTING: c.RecordPosting,
        Action.RECORD_ANNOUNCEMENT: c.RecordAnnouncement,
        Action.RECORD_SURVEY: c.RecordSurvey,
        Action.RECORD_VOTE: c.RecordVote,
        Action.RECORD_MODEL_CONDITIONS: c.RecordModelConditions,
        Action.APPROVE_INDICATORS: c.ApproveIndicators,
        Action.RETURN_INDICATORS: c.ReturnIndicators,
        Action.CONFIRM_CONDITION: c.ConfirmCondition,
    }
    return names[Action(action)].__name__


for _action, _schema in s.ACTION_SCHEMAS.items():
    _action_view(_action, _schema)


# --- evidence -------------------------------------------------------------------------------------------


def _evidence_row(e: Evidence, code_of: dict[int, str]) -> dict[str, Any]:
    return {
        "id": e.id,
        "code": code_of.get(e.indicator_id) if e.indicator_id is not None else None,
        "original_name": e.original_name,
        "size": e.size,
        "mime_type": e.mime_type,
        "sha256": e.sha256,
        "uploaded_at": e.uploaded_at,
    }


@bp.response(200, s.EvidenceListSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@_refusals
def list_evidence(dossier_id: int) -> dict[str, Any]:
    """The evidence files of a dossier."""
    session = request_session()
    context = _context(session, dossier_id)
    rows = session.scalars(select(Evidence).where(Evidence.dossier_id == dossier_id).order_by(Evidence.id)).all()
    return {"items": [_evidence_row(e, context.code_of) for e in rows]}


EVIDENCE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "the evidence file"},
                    "code": {"type": ["string", "null"], "maxLength": 20, "description": "the indicator it supports"},
                    "comment": {"type": ["string", "null"], "maxLength": s.MAX_TEXT},
                },
            }
        }
    },
}


@bp.doc(requestBody=EVIDENCE_BODY, parameters=[IF_MATCH])
@bp.response(201, s.EvidenceSchema, headers=ETAG_HEADER)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(412, response="PRECONDITION_FAILED")
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@bp.alt_response(428, response="PRECONDITION_REQUIRED")
@_refusals
def upload_evidence(dossier_id: int) -> Response:
    """Attach a file (multipart, field `file`; `code` ties it to an indicator): `AttachEvidence`."""
    session, user, now = request_session(), api_user(), request_now()
    context = _context(session, dossier_id)
    try:
        form = s.EvidenceFormSchema().load(request.form.to_dict())
        upload = s.EvidenceFileSchema().load(request.files.to_dict())["file"]
    except ValidationError as error:
        return json_error(422, errors=flatten(error.messages))
    if not isinstance(upload, FileStorage):
        return json_error(422, errors={"file": ["Không phải là tệp."]})
    expected = _expected_version(context.dossier)
    settings: Settings = current_app.config["NTM_SETTINGS"]
    command = c.AttachEvidence(
        dossier_id=dossier_id,
        expected_version=expected,
        comment=form["comment"],
        storage_root=settings.evidence_path,
        stream=upload.stream,
        original_name=upload.filename or "",
        code=form["code"],
        mime_type=upload.content_type or None,
        policy=EvidencePolicy.from_settings(settings),
    )
    try:
        evidence = handle(session, user, now, command).record
        session.flush()
    except WorkflowError as exc:
        session.rollback()
        return workflow_error(exc, context.procedure)
    body = s.EvidenceSchema().dump(_evidence_row(evidence, context.code_of))
    session.commit()
    dossier = session.get(Dossier, dossier_id) or context.dossier
    return _with_etag(body, dossier, 201)


@bp.route("/dossiers/<int:dossier_id>/evidence")
class EvidenceFiles(MethodView):
    get = staticmethod(list_evidence)
    post = staticmethod(upload_evidence)


@bp.route("/dossiers/<int:dossier_id>/evidence/<int:evidence_id>/content", methods=["GET"])
@bp.response(200, content_type="*/*", description="the file, as an attachment")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@_refusals
def download_evidence(dossier_id: int, evidence_id: int) -> Response:
    """The stored file, checked against its SHA-256 on the way out."""
    session = request_session()
    _context(session, dossier_id)
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.dossier_id != dossier_id:
        return json_error(404)
    settings: Settings = current_app.config["NTM_SETTINGS"]
    try:
        content = read_evidence(settings.evidence_path, evidence)
    except OSError:
        return json_error(404)
    response = send_file(
        io.BytesIO(content),
        mimetype=served_type(evidence, settings.evidence_types),
        as_attachment=True,
        download_name=evidence.original_name,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
