"""“Khóa API”: a person makes and revokes their own API tokens; an administrator sees and revokes anyone's.

A new token's secret is shown on the answer to the form that made it, once: only its hash is kept.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from dossiers import tokens
from dossiers.access import is_admin
from dossiers.models import User
from web.clock import request_now
from web.messages import describe
from web.session import request_session
from workflow.errors import WorkflowError

bp = Blueprint("tokens", __name__)

Page = str | tuple[str, int]


def _user() -> User:
    user = current_user._get_current_object()
    if not isinstance(user, User):
        abort(401)
    return user


def _page(status: int = 200, *, secret: str | None = None, error: str | None = None, name: str = "") -> Page:
    session, user = request_session(), _user()
    admin = is_admin(user)
    html = render_template(
        "api_tokens.html",
        tokens=tokens.tokens_of(session, None if admin else user),
        admin=admin,
        now=request_now(),
        secret=secret,
        error=error,
        name=name,
        default_days=tokens.DEFAULT_DAYS,
        max_days=tokens.MAX_DAYS,
    )
    return (html, status) if status != 200 else html


@bp.get("/tai-khoan/khoa-api")
@login_required
def index() -> Page:
    return _page()


@bp.post("/tai-khoan/khoa-api")
@login_required
def create() -> Page:
    session, user = request_session(), _user()
    name = request.form.get("name", "")[:200]
    raw_days = request.form.get("days", "").strip()
    days = int(raw_days) if raw_days.isdigit() and len(raw_days) < 6 else -1
    try:
        issued = tokens.issue_token(session, user, user, request_now(), name=name, days=days)
    except WorkflowError as exc:
        session.rollback()
        return _page(422, error=describe(exc), name=name)
    session.commit()
    return _page(201, secret=issued.secret)


@bp.post("/tai-khoan/khoa-api/<int:token_id>/thu-hoi")
@login_required
def revoke(token_id: int) -> Page | Response:
    session, user = request_session(), _user()
    try:
        token = tokens.revoke_token(session, user, token_id, request_now(), admin=is_admin(user))
    except WorkflowError as exc:
        session.rollback()
        return _page(404, error=describe(exc))
    session.commit()
    flash(f"Đã thu hồi khóa «{token.name}» ({token.prefix}…).", "success")
    return redirect(url_for(".index"))
