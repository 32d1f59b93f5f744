"""Pages: the unit directory (public: official names and codes) with the dossiers a signed-in person may
see and, for the unit's own officers, the registration form. The dossier pages are in `web.workspace`."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.access import load_actor, viewable
from dossiers.models import CriteriaSet, Department, Dossier, Unit
from web.clock import request_now
from web.session import request_session
from web.workspace import pages
from web.workspace.forms import FormState

bp = Blueprint("views", __name__)


@bp.route("/")
def index() -> str:
    provinces = request_session().scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)).all()
    return render_template("index.html", provinces=provinces)


@bp.route("/don-vi/<int:unit_id>")
def unit(unit_id: int) -> str | tuple[str, int]:
    found = request_session().get(Unit, unit_id) or abort(404)
    return render_unit(found)


def area_labels(session: Session) -> dict[str, str]:
    """Region and commune-group codes (`TDMNPB`, `nhom-3`) → their names, as the criteria sets define them."""
    labels: dict[str, str] = {}
    for regions, groups in session.execute(select(CriteriaSet.regions, CriteriaSet.commune_groups)):
        for entry in [*(regions or []), *(groups or [])]:
            if isinstance(entry, dict) and entry.get("code") and entry.get("name"):
                labels.setdefault(str(entry["code"]), str(entry["name"]))
    return labels


def render_unit(found: Unit, form: FormState | None = None, status: int = 200) -> str | tuple[str, int]:
    """The unit page; after a refused registration, with the form as it was sent and the message."""
    session = request_session()
    departments = session.scalars(
        select(Department).where(Department.unit_id == found.id).order_by(Department.id)
    ).all()
    dossiers: list[Dossier] = []
    register = None
    if current_user.is_authenticated:
        user, now = current_user._get_current_object(), request_now()
        candidates = session.scalars(
            select(Dossier).where(Dossier.unit_id.in_([found.id, *(c.id for c in found.children)])).order_by(Dossier.id)
        ).all()
        dossiers = viewable(session, load_actor(session, user, now), candidates)
        register = pages.register_options(session, user, now, found)
    html = render_template(
        "unit.html",
        area_labels=area_labels(session),
        unit=found,
        departments=departments,
        dossiers=dossiers,
        register=register,
        form=form or FormState(),
    )
    return (html, status) if status != 200 else html
