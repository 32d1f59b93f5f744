"""`/bang-theo-doi`: the dashboard of the signed-in coordinator or chairman, and its .xlsx export. Both
read `notifications.dashboard.dashboard` once; the page adds the chart drawn from the same figures."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from dossiers.access import load_actor, overseen_area
from dossiers.dashboard import AREA_KINDS, MATRIX_LEVELS, STATUS_LABELS, STATUS_SHORT, level_label
from dossiers.models import Unit, User
from notifications.dashboard import COMING_DAYS, Dashboard, dashboard, figures, grouped
from notifications.obligations import unit_label
from web.clock import request_now
from web.dashboard.chart import COLOURS, progress_chart
from web.dashboard.xlsx import workbook
from web.session import request_session
from web.workspace.views import signed_in_user
from workflow import permissions
from workflow.calendar import local_date
from workflow.errors import NotFound, NotPermitted
from workflow.permissions import Actor
from workflow.vocabulary import RecognitionLevel, Role

bp = Blueprint("dashboard", __name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class Choice:
    """What the filter form asked for, with a message per field it could not use."""

    area: Unit
    year: int
    level: RecognitionLevel
    areas: list[Unit]
    errors: dict[str, str] = field(default_factory=dict)


def _choice(session: Session, actor: Actor, now: dt.datetime) -> Choice:
    """The area, year and level asked for; 403 when the person oversees no area (or not the one asked)."""
    errors: dict[str, str] = {}
    raw_area = request.args.get("don-vi", "").strip()
    # an id no unit has (0) for what is not one: whoever oversees nothing is refused before that is looked at
    asked = (int(raw_area) if raw_area.isdigit() and 0 < int(raw_area) < 2**31 else 0) if raw_area else None
    try:
        area, areas = overseen_area(session, actor, asked, AREA_KINDS)
    except NotFound:
        abort(404)
    except NotPermitted:
        abort(403)  # nobody's coordinator or chairman, or not of this area: the page is not theirs
    year = local_date(now).year
    raw_year = request.args.get("nam", "").strip()
    if raw_year:
        if raw_year.isdigit() and FIRST_YEAR <= int(raw_year) <= LAST_YEAR:
            year = int(raw_year)
        else:
            errors["nam"] = f"Năm phải là số từ {FIRST_YEAR} đến {LAST_YEAR}; đang hiển thị năm {year}."
    level = RecognitionLevel.COMMUNE_NTM
    raw_level = request.args.get("muc", "").strip()
    if raw_level:
        if raw_level in {lv.value for lv in MATRIX_LEVELS}:
            level = RecognitionLevel(raw_level)
        else:
            errors["muc"] = f"Mức công nhận không hợp lệ; đang hiển thị {level_label(level).lower()}."
    return Choice(area, year, level, areas, errors)


def _board() -> tuple[Choice, Dashboard]:
    session, now = request_session(), request_now()
    actor = load_actor(session, signed_in_user(), now)
    choice = _choice(session, actor, now)
    return choice, dashboard(session, choice.area, choice.year, now, choice.level)


@bp.get("/bang-theo-doi")
@login_required
def page() -> str | tuple[str, int]:
    choice, board = _board()
    html = render_template(
        "dashboard.html",
        choice=choice,
        board=board,
        p=board.progress,
        figures=figures(board),
        overdue_groups=grouped(board.overdue),
        coming_groups=grouped(board.coming),
        chart=progress_chart(board.progress),
        levels=[(lv.value, level_label(lv)) for lv in MATRIX_LEVELS],
        level_name=level_label(choice.level),
        status_labels=STATUS_LABELS,
        status_short=STATUS_SHORT,
        colours=COLOURS,
        area_label=unit_label,
        coming_days=COMING_DAYS,
    )
    return (html, 422) if choice.errors else html


@bp.get("/bang-theo-doi/xuat.xlsx")
@login_required
def export() -> Response:
    choice, board = _board()
    if choice.errors:
        abort(422)
    name = f"bang-theo-doi-{choice.area.code or choice.area.id}-{choice.year}-{choice.level.value}.xlsx"
    return send_file(io.BytesIO(workbook(board)), mimetype=XLSX_TYPE, as_attachment=True, download_name=name)


@bp.app_template_global("oversees_an_area")
def oversees_an_area(user: User) -> bool:
    """Whether the menu offers the dashboard: an admin, or a coordinator or chairman of a district or province.
    The page decides again (`permissions.may_oversee`); this only spares others a link to a refusal."""
    if user.has_role(Role.ADMIN):
        return True
    return any(
        a.role in permissions.OVERSEEING_ROLES and a.unit is not None and a.unit.kind in AREA_KINDS for a in user.roles
    )
