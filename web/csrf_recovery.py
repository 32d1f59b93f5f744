"""A form sent with a missing or expired CSRF token comes back as it was typed, with a Vietnamese message
to send it again (400), instead of a bare error page that throws the input away.

The form names below are those the workspace routes give their forms (`web.workspace.views`); a test
checks that every form-handling route of the workspace is listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from dossiers.accounts import MIN_PASSWORD_LENGTH
from dossiers.models import Unit
from web.clock import request_now
from web.errors import error_response
from web.session import request_session
from web.views import render_unit
from web.workspace import schemas
from web.workspace.forms import FormState
from web.workspace.views import _render_dossier, _render_inbox, _viewable, signed_in_user

MESSAGE = (
    "Yêu cầu không hợp lệ. Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ; những gì bạn nhập vẫn còn dưới đây, "
    "vui lòng kiểm tra rồi gửi lại."
)
SIGNED_OUT = "Yêu cầu không hợp lệ. Phiên đăng nhập đã kết thúc; vui lòng đăng nhập lại rồi gửi lại biểu mẫu."

#: endpoint → the name of the form it handles, from what was posted
DOSSIER_FORMS: Mapping[str, Callable[[Mapping[str, str]], str]] = {
    "workspace.take_action": lambda form: f"action:{form.get('action', '')}",
    "workspace.record_assessment": lambda form: "assessment",
    "workspace.record_assessments": lambda form: (
        f"criterion:{form['criterion']}" if form.get("criterion", "").isdigit() else "assessments"
    ),
    "workspace.attach_evidence": lambda form: "evidence",
    "workspace.record_posting": lambda form: "posting",
    "workspace.record_survey": lambda form: "survey",
    "workspace.record_vote": lambda form: "vote",
    "workspace.record_announcement": lambda form: "announcement",
    "workspace.record_model_conditions": lambda form: "model",
    "workspace.confirm_condition": lambda form: "condition",
    "workspace.appraise": lambda form: f"task:{form.get('task', '')}",
    "workspace.preview_assessment_import": lambda form: "import",
}
LISTS = {"workspace.appraise": ("codes",)}


def _again(exc: CSRFError) -> Response | str | tuple[Response | str, int]:
    endpoint = request.endpoint or ""
    args = request.view_args or {}
    if endpoint == "auth.login":
        username = request.form.get("username", "").strip()[:80]
        return render_template("login.html", username=username, message=MESSAGE), 400
    if not current_user.is_authenticated:
        return render_template("login.html", username="", message=SIGNED_OUT), 400
    if endpoint in DOSSIER_FORMS and "dossier_id" in args:
        session, user, now = request_session(), signed_in_user(), request_now()
        context = _viewable(session, user, now, args["dossier_id"])
        raw = schemas.form_data(request.form, LISTS.get(endpoint, ()))
        state = FormState(DOSSIER_FORMS[endpoint](request.form), raw, {}, MESSAGE)
        return _render_dossier(context, state, 400)
    if endpoint == "workspace.inbox_answer":
        state = FormState("inbox", schemas.form_data(request.form, ("pick",)), {}, MESSAGE)
        return _render_inbox(state, 400)
    if endpoint == "workspace.register" and "unit_id" in args:
        unit = request_session().get(Unit, args["unit_id"])
        if unit is not None:
            return render_unit(unit, FormState("register", schemas.form_data(request.form), {}, MESSAGE), 400)
    if endpoint == "auth.password":
        errors = {"current": MESSAGE}
        return render_template("password.html", errors=errors, min_length=MIN_PASSWORD_LENGTH), 400
    return error_response(400, exc.description)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _again)
