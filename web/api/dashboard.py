"""`GET /api/v1/dashboard`: the figures of the coordinator's and the chairman's dashboard (`/bang-theo-doi`), read
from the one function the page and its .xlsx export read (`notifications.dashboard.dashboard`), with the same
"who may" (`dossiers.access.overseen_areas`, `workflow.permissions.may_oversee`). Nothing is counted here."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from dossiers.access import load_actor, overseen_area
from dossiers.dashboard import AREA_KINDS, CommuneRow, DecisionSummary, level_label
from notifications.dashboard import Dashboard, Deadline, dashboard, figures
from notifications.obligations import unit_label
from web.api import schemas as s
from web.api.auth import api_user, protect
from web.api.errors import json_error
from web.api.resources import obligation_body
from web.clock import request_now
from web.session import request_session
from workflow.calendar import local_date
from workflow.errors import NotFound, NotPermitted
from workflow.vocabulary import RecognitionLevel

bp = Blueprint("area-dashboard", __name__, description="Bảng theo dõi của điều phối viên và chủ tịch")
protect(bp)


@bp.route("/dashboard", methods=["GET"])
@bp.arguments(s.DashboardQuery, location="query", unknown="raise", as_kwargs=True)
@bp.response(200, s.DashboardSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def read_dashboard(unit_id: int | None = None, year: int | None = None, level: str | None = None) -> Any:
    """The dashboard of an area (a district or province the caller oversees), as `/bang-theo-doi` shows it:
    headline figures, the communes × criteria matrix, dossiers by state, deadlines overdue and coming with who
    owes them, and the decisions waiting for the chairman with their summary."""
    session, now = request_session(), request_now()
    actor = load_actor(session, api_user(), now)
    try:
        area, _ = overseen_area(session, actor, unit_id, AREA_KINDS)
    except NotFound:
        return json_error(404)
    except NotPermitted:
        return json_error(403)
    board = dashboard(
        session,
        area,
        year if year is not None else local_date(now).year,
        now,
        RecognitionLevel(level) if level is not None else RecognitionLevel.COMMUNE_NTM,
    )
    return _board(board)


def _board(board: Dashboard) -> dict[str, Any]:
    p = board.progress
    overdue = board.overdue_dossier_ids
    return {
        "area": {
            "id": p.area.id,
            "code": p.area.code,
            "name": p.area.name,
            "kind": str(p.area.kind),
            "label": unit_label(p.area),
        },
        "year": p.year,
        "level": str(p.level),
        "level_label": level_label(p.level),
        "today": board.today,
        "figures": [{"key": f.key, "label": f.label, "value": f.value} for f in figures(board)],
        "average_met": p.average_met,
        "target": (
            {"value": p.target.value, "source": p.target.source, "confidence": str(p.target.confidence)}
            if p.target is not None
            else None
        ),
        "columns": [{"number": c.number, "name": c.name, "communes_met": p.met_in_column(c.number)} for c in p.columns],
        "communes": [_row(row, overdue) for row in p.rows],
        "by_state": [
            {
                "level": c.level,
                "kind": c.kind,
                "level_label": c.level_label,
                "state": c.state,
                "state_label": c.state_label,
                "count": c.count,
            }
            for c in p.by_state
        ],
        "overdue": [_deadline(d) for d in board.overdue],
        "coming": [_deadline(d) for d in board.coming],
        "awaiting_decision": [_decision(d) for d in p.awaiting_decision],
    }


def _row(row: CommuneRow, overdue: set[int]) -> dict[str, Any]:
    return {
        "unit_id": row.unit.id,
        "name": row.unit.name,
        "dossier_id": row.dossier.id if row.dossier is not None else None,
        "state": row.dossier.state if row.dossier is not None else None,
        "state_label": row.state_label,
        "criteria_met": row.criteria_met,
        "criteria_total": row.criteria_total,
        "overdue": row.dossier is not None and row.dossier.id in overdue,
        "statuses": [{"number": number, "status": str(status)} for number, status in sorted(row.statuses.items())],
    }


def _deadline(d: Deadline) -> dict[str, Any]:
    return {
        **obligation_body(d.obligation),
        "period_label": d.obligation.period_label,
        "days_left": d.days_left,
        "overdue": d.overdue,
        "status": d.status,
        "owed_by": d.owed_by,
        "reminded": [person.name for person in d.obligation.remind],
    }


def _decision(d: DecisionSummary) -> dict[str, Any]:
    dossier = d.dossier
    return {
        "dossier_id": dossier.id,
        "unit": {"id": dossier.unit.id, "name": dossier.unit.name, "kind": str(dossier.unit.kind)},
        "level": dossier.level,
        "level_label": d.level_label,
        "kind": dossier.kind,
        "state": dossier.state,
        "state_label": d.state_label,
        "decider_name": d.decider_name,
        "criteria_met": d.criteria_met,
        "criteria_total": d.criteria_total,
        "indicators_approved": d.indicators_approved,
        "indicators_returned": d.indicators_returned,
        "tasks": [
            {"label": t.label, "round": t.round, "approved": t.approved, "returned": t.returned, "pending": t.pending}
            for t in d.tasks
        ],
        "conditions": [
            {"label": label, "holds": holds, "department_name": department} for label, holds, department in d.conditions
        ],
        "households_total": d.households_total,
        "households_reached": d.households_reached,
        "households_satisfied": d.households_satisfied,
        "satisfaction": d.satisfaction,
        "votes_total": d.votes_total,
        "votes_in_favour": d.votes_in_favour,
        "vote_share": d.vote_share,
    }
