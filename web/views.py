"""Pages: the unit directory (public: official names and codes) and dossiers (signed-in, scoped)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from dossiers.access import can_view_dossier
from dossiers.models import Department, Dossier, Unit
from web.session import request_session

bp = Blueprint("views", __name__)


@bp.route("/")
def index() -> str:
    provinces = request_session().scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)).all()
    return render_template("index.html", provinces=provinces)


@bp.route("/don-vi/<int:unit_id>")
def unit(unit_id: int) -> str:
    session = request_session()
    found = session.get(Unit, unit_id) or abort(404)
    departments = session.scalars(
        select(Department).where(Department.unit_id == found.id).order_by(Department.id)
    ).all()
    dossiers: list[Dossier] = []
    if current_user.is_authenticated:
        candidates = session.scalars(
            select(Dossier).where(Dossier.unit_id.in_([found.id, *(c.id for c in found.children)])).order_by(Dossier.id)
        ).all()
        dossiers = [d for d in candidates if can_view_dossier(current_user, d)]
    return render_template("unit.html", unit=found, departments=departments, dossiers=dossiers)


@bp.route("/ho-so/<int:dossier_id>")
@login_required
def dossier(dossier_id: int) -> str:
    found = request_session().get(Dossier, dossier_id) or abort(404)
    if not can_view_dossier(current_user, found):
        abort(403)
    return render_template("dossier.html", dossier=found)
