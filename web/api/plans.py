"""`GET /api/v1/plans`: the plans of an area for a year with each target's status, as the page
`/bang-theo-doi/ke-hoach` and its .xlsx "biểu giao chỉ tiêu" show them — read from the one function they read
(`dossiers.planning.plans.plan_progress`), with the same "who may" (`dossiers.access.overseen_area`)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from dossiers.access import load_actor, overseen_area
from dossiers.dashboard import AREA_KINDS
from dossiers.planning.plans import RESOURCE_COLUMNS, TARGET_STATUS_LABELS, TargetStatus, plan_progress, plans_of_area
from web.api import schemas as s
from web.api.auth import api_user, protect
from web.api.errors import json_error
from web.clock import request_now
from web.session import request_session
from workflow.calendar import local_date
from workflow.errors import NotFound, NotPermitted

bp = Blueprint("area-plans", __name__, description="Kế hoạch, chỉ tiêu và tiến độ thực hiện")
protect(bp)


class PlansQuery(s.Strict):
    unit_id = s.QueryId(
        metadata={"description": "the area: a district or province the caller oversees (their first when omitted)"}
    )
    year = s.QueryInt(minimum=2000, maximum=2100, metadata={"description": "the current year when omitted"})


class TargetProgressSchema(Schema):
    target_id = fields.Integer(allow_none=True, required=True, metadata={"description": "None: an aggregate target"})
    kind = fields.String(allow_none=True, required=True)
    group = fields.String(required=True)
    unit_name = fields.String(required=True)
    asked = fields.String(required=True)
    reached = fields.String(required=True)
    status = s.Choice(TargetStatus, required=True)
    status_label = fields.String(required=True)
    reason = fields.String(required=True)
    read_from = fields.String(
        allow_none=True, required=True, metadata={"description": "the merged unit the evidence was read from"}
    )


class PlanProgressSchema(Schema):
    id = fields.Integer(required=True)
    unit = fields.Nested(s.UnitRefSchema, required=True)
    year = fields.Integer(required=True)
    title = fields.String(required=True)
    number = fields.String(allow_none=True, required=True)
    issued_on = fields.Date(allow_none=True, required=True)
    reference = fields.String(required=True)
    source = fields.String(required=True)
    confidence = fields.String(required=True)
    average_criteria = fields.Float(allow_none=True, required=True)
    minimum_criteria = fields.Integer(allow_none=True, required=True)
    resources = fields.Dict(
        keys=fields.String(), values=fields.Float(), required=True, metadata={"description": "million VND"}
    )
    today = fields.Date(required=True)
    final = fields.Boolean(required=True, metadata={"description": "the plan's year is over: met or missed"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    targets = fields.List(fields.Nested(TargetProgressSchema), required=True)


class PlansSchema(Schema):
    area = fields.Nested(s.UnitRefSchema, required=True)
    year = fields.Integer(required=True)
    plans = fields.List(fields.Nested(PlanProgressSchema), required=True)


@bp.route("/plans", methods=["GET"])
@bp.arguments(PlansQuery, location="query", unknown="raise", as_kwargs=True)
@bp.response(200, PlansSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def read_plans(unit_id: int | None = None, year: int | None = None) -> Any:
    """The plans issued by an area (or a unit inside it) for a year, each target with its status on today's
    date (met / on track / at risk / missed; the rule: docs/planning.md)."""
    session, now = request_session(), request_now()
    actor = load_actor(session, api_user(), now)
    try:
        area, _ = overseen_area(session, actor, unit_id, AREA_KINDS)
    except NotFound:
        return json_error(404)
    except NotPermitted:
        return json_error(403)
    chosen = year if year is not None else local_date(now).year
    found = []
    for plan in plans_of_area(session, area, chosen):
        progress = plan_progress(session, plan, now)
        found.append(
            {
                "id": plan.id,
                "unit": {"id": plan.unit.id, "name": plan.unit.name, "kind": str(plan.unit.kind)},
                "year": plan.year,
                "title": plan.title,
                "number": plan.number,
                "issued_on": plan.issued_on,
                "reference": plan.reference,
                "source": plan.source,
                "confidence": str(plan.confidence),
                "average_criteria": float(plan.average_criteria) if plan.average_criteria is not None else None,
                "minimum_criteria": plan.minimum_criteria,
                "resources": {
                    key: float(getattr(plan, column))
                    for key, column in RESOURCE_COLUMNS.items()
                    if getattr(plan, column) is not None
                },
                "today": progress.today,
                "final": progress.final,
                "counts": {str(status): count for status, count in progress.counts.items()},
                "targets": [
                    {
                        "target_id": row.target.id if row.target is not None else None,
                        "kind": str(row.target.kind) if row.target is not None else None,
                        "group": row.group,
                        "unit_name": row.unit_name,
                        "asked": row.asked,
                        "reached": row.reached,
                        "status": str(row.status),
                        "status_label": TARGET_STATUS_LABELS[row.status],
                        "reason": row.reason,
                        "read_from": row.read_from,
                    }
                    for row in progress.rows
                ],
            }
        )
    return {"area": {"id": area.id, "name": area.name, "kind": str(area.kind)}, "year": chosen, "plans": found}
