"""Reference data and lists over the API: the caller, units, criteria sets, ownership tables, a department's
appraisal decisions, obligations and deadlines. (The dashboard figures are `web.api.dashboard`.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from dossiers.access import ancestor_ids, load_actor, viewable
from dossiers.models import (
    AppraisalItem,
    AppraisalTask,
    CriteriaSet,
    Criterion,
    Department,
    Dossier,
    Indicator,
    Ownership,
    Unit,
)
from notifications.obligations import Obligation, open_obligations
from web.api import schemas as s
from web.api.auth import api_token, api_user, protect
from web.api.errors import json_error
from web.clock import request_now
from web.session import request_session
from workflow import permissions
from workflow.calendar import local_date

bp = Blueprint("reference", __name__, description="Người gọi, đơn vị, bộ tiêu chí, phân công, thẩm tra, nghĩa vụ")
protect(bp)


def _page(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    start = (page - 1) * per_page
    return {"items": items[start : start + per_page], "page": page, "per_page": per_page, "total": len(items)}


@bp.route("/me", methods=["GET"])
@bp.response(200, s.MeSchema)
def me() -> dict[str, Any]:
    """Who the token acts as, and its expiry."""
    user, token = api_user(), api_token()
    return {
        "user_id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "token_id": token.id,
        "token_expires_at": token.expires_at,
        "roles": [{"role": str(r.role), "unit_id": r.unit_id, "department_id": r.department_id} for r in user.roles],
    }


# --- units ------------------------------------------------------------------------------------------------


def _unit(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": str(unit.kind),
        "parent_id": unit.parent_id,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "region": unit.region,
        "commune_group": unit.commune_group,
    }


@bp.route("/units", methods=["GET"])
@bp.arguments(s.UnitQuery, location="query", unknown="raise", as_kwargs=True)
@bp.response(200, s.UnitPageSchema)
def list_units(
    page: int,
    per_page: int,
    parent_id: int | None = None,
    kind: str | None = None,
    valid_on: dt.date | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The territory: units by parent, kind, validity on a day, part of the name."""
    query = select(Unit).order_by(Unit.id)
    if parent_id is not None:
        query = query.where(Unit.parent_id == parent_id)
    if kind is not None:
        query = query.where(Unit.kind == kind)
    if valid_on is not None:
        query = query.where(
            (Unit.valid_from.is_(None) | (Unit.valid_from <= valid_on))
            & (Unit.valid_to.is_(None) | (Unit.valid_to >= valid_on))
        )
    units = list(request_session().scalars(query))
    if name:
        wanted = name.casefold()
        units = [u for u in units if wanted in u.name.casefold()]
    return _page([_unit(u) for u in units], page, per_page)


@bp.route("/units/<int:unit_id>", methods=["GET"])
@bp.response(200, s.UnitSchema)
@bp.alt_response(404, response="NOT_FOUND")
def read_unit(unit_id: int) -> Any:
    """One unit."""
    unit = request_session().get(Unit, unit_id)
    if unit is None:
        return json_error(404)
    return _unit(unit)


# --- criteria sets and ownership ------------------------------------------------------------------------


def _criteria_set(cs: CriteriaSet) -> dict[str, Any]:
    return {
        "id": cs.id,
        "code": cs.code,
        "version": cs.version,
        "name": cs.name,
        "levels": [str(level) for level in cs.levels],
        "legal_source": cs.legal_source,
        "period_start": cs.period_start,
        "period_end": cs.period_end,
        "effective_from": cs.effective_from,
    }


@bp.route("/criteria-sets", methods=["GET"])
@bp.response(200, s.CriteriaSetListSchema)
def list_criteria_sets() -> dict[str, Any]:
    """Every loaded criteria set (each version)."""
    sets = request_session().scalars(select(CriteriaSet).order_by(CriteriaSet.code, CriteriaSet.version))
    return {"items": [_criteria_set(cs) for cs in sets]}


@bp.route("/criteria-sets/<int:criteria_set_id>", methods=["GET"])
@bp.response(200, s.CriteriaSetDetailSchema)
@bp.alt_response(404, response="NOT_FOUND")
def read_criteria_set(criteria_set_id: int) -> Any:
    """A criteria set with its criteria and their indicators (thresholds by region and group)."""
    session = request_session()
    cs = session.get(CriteriaSet, criteria_set_id)
    if cs is None:
        return json_error(404)
    criteria = session.scalars(
        select(Criterion)
        .where(Criterion.criteria_set_id == cs.id)
        .order_by(Criterion.number)
        .options(selectinload(Criterion.indicators))
    )
    return {
        **_criteria_set(cs),
        "criteria": [
            {
                "id": cr.id,
                "number": cr.number,
                "name": cr.name,
                "group_name": cr.group_name,
                "is_key": cr.is_key,
                "indicators": [
                    {
                        "id": i.id,
                        "code": i.code,
                        "name": i.name,
                        "measure": str(i.measure),
                        "unit_of_measure": i.unit_of_measure,
                        "thresholds": i.thresholds or {},
                    }
                    for i in cr.indicators
                ],
            }
            for cr in criteria
        ],
    }


@bp.route("/ownership", methods=["GET"])
@bp.arguments(s.OwnershipQuery, location="query", unknown="raise", as_kwargs=True)
@bp.response(200, s.OwnershipSchema)
@bp.alt_response(404, response="NOT_FOUND")
def ownership(authority_unit_id: int, year: int, criteria_set_id: int) -> Any:
    """Which department of the authority owns (appraises) which indicator of the set, in a year."""
    session = request_session()
    if session.get(Unit, authority_unit_id) is None or session.get(CriteriaSet, criteria_set_id) is None:
        return json_error(404)
    indicators = session.execute(
        select(Indicator.id, Indicator.code)
        .join(Criterion, Criterion.id == Indicator.criterion_id)
        .where(Criterion.criteria_set_id == criteria_set_id)
        .order_by(Criterion.number, Indicator.position)
    ).all()
    code_of = {iid: code for iid, code in indicators}
    rows = session.scalars(
        select(Ownership)
        .where(
            Ownership.authority_unit_id == authority_unit_id,
            Ownership.year == year,
            Ownership.indicator_id.in_(list(code_of)),
        )
        .options(joinedload(Ownership.department))
        .order_by(Ownership.id)
    ).all()
    owned = {row.indicator_id for row in rows}
    return {
        "authority_unit_id": authority_unit_id,
        "year": year,
        "criteria_set_id": criteria_set_id,
        "rows": [
            {
                "indicator_code": code_of[row.indicator_id],
                "department_id": row.department_id,
                "department_code": row.department.code,
                "department_name": row.department.name,
                "source": row.source,
                "confidence": row.confidence,
                "outstanding_fields": row.outstanding_fields,
            }
            for row in rows
        ],
        "unowned": [code for iid, code in indicators if iid not in owned],
    }


# --- a department's appraisal decisions -----------------------------------------------------------------


@bp.route("/departments/<int:department_id>/decisions", methods=["GET"])
@bp.arguments(s.DecisionQuery, location="query", unknown="raise", as_kwargs=True)
@bp.response(200, s.DepartmentDecisionPageSchema)
@bp.alt_response(404, response="NOT_FOUND")
def department_decisions(
    department_id: int, page: int, per_page: int, year: int | None = None, pending: bool | None = None
) -> Any:
    """The indicators given to a department for appraisal and what it decided, on dossiers the caller may read."""
    session = request_session()
    if session.get(Department, department_id) is None:
        return json_error(404)
    query = (
        select(AppraisalItem, AppraisalTask, Dossier, Indicator.code)
        .join(AppraisalTask, AppraisalTask.id == AppraisalItem.task_id)
        .join(Dossier, Dossier.id == AppraisalTask.dossier_id)
        .join(Indicator, Indicator.id == AppraisalItem.indicator_id)
        .where(AppraisalTask.department_id == department_id)
        .order_by(AppraisalTask.dossier_id.desc(), AppraisalTask.id, AppraisalItem.id)
    )
    if year is not None:
        query = query.where(Dossier.year == year)
    if pending is True:
        query = query.where(AppraisalItem.decision.is_(None))
    elif pending is False:
        query = query.where(AppraisalItem.decision.is_not(None))
    rows = session.execute(query).all()
    actor = load_actor(session, api_user(), request_now())
    visible = {d.id for d in viewable(session, actor, list({row[2].id: row[2] for row in rows}.values()))}
    items = [
        {
            "dossier_id": dossier.id,
            "unit_id": dossier.unit_id,
            "task_id": task.id,
            "round": task.round,
            "code": code,
            "decision": item.decision,
            "reason": item.reason,
            "decided_at": item.decided_at,
        }
        for item, task, dossier, code in rows
        if dossier.id in visible
    ]
    return {"department_id": department_id, **_page(items, page, per_page)}


# --- obligations and deadlines --------------------------------------------------------------------------


def obligation_body(o: Obligation) -> dict[str, Any]:
    return {
        "key": o.key,
        "title": o.title,
        "last_day": o.last_day,
        "dossier_id": o.dossier_id,
        "unit_id": o.unit_id,
        "department_id": o.department_id,
        "rule": o.rule.code,
    }


@bp.route("/obligations", methods=["GET"])
@bp.arguments(s.ObligationQuery, location="query", unknown="raise", as_kwargs=True)
@bp.response(200, s.ObligationPageSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def obligations(page: int, per_page: int, year: int, unit_id: int | None = None) -> Any:
    """What is owed by when (open obligations of a year), for the units the caller reads, soonest first."""
    session, now = request_session(), request_now()
    actor = load_actor(session, api_user(), now)
    roots = permissions.read_roots(actor)
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None:
            return json_error(404)
        if roots is not None and not ({unit_id, *ancestor_ids(session, [unit_id])[unit_id]} & roots):
            return json_error(403)
        within: list[Unit] | None = [unit]
    elif roots is None:
        within = None
    else:
        within = list(session.scalars(select(Unit).where(Unit.id.in_(roots)).order_by(Unit.id)))
    found = open_obligations(session, years=[year], today=local_date(now), within=within)
    ordered = sorted(found, key=lambda o: (o.last_day, o.rule.code, o.key))
    return _page([obligation_body(o) for o in ordered], page, per_page)
