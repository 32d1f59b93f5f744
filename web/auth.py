"""Sign-in, sign-out and changing one's password (Flask-Login), with Vietnamese messages.

A session names its user as "<id>:<generation>" (`User.get_id`): raising the user's generation (sign-out,
a new password, deactivation) ends every copy of every session. Sign-in is throttled per account and per
address; only wrong passwords count.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.wrappers import Response as FlaskResponse
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from dossiers.accounts import (
    MIN_PASSWORD_LENGTH,
    PasswordRejectedError,
    WrongPasswordError,
    change_password,
    verify_sign_in,
)
from dossiers.models import User
from dossiers.settings import Settings
from web.extensions import limiter, login_manager
from web.security import MAX_ID
from web.session import request_session

bp = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, generation = session_id.partition(":")
    if not (user_id.isdigit() and generation.isdigit()) or not 0 < int(user_id) <= MAX_ID:
        return None  # also every session issued before generations existed ("<id>" alone)
    user = request_session().get(User, int(user_id))
    if user is None or not user.active or str(user.session_generation) != generation:
        return None
    return user


def _settings() -> Settings:
    settings: Settings = current_app.config["NTM_SETTINGS"]
    return settings


def _account_key() -> str:
    return "account:" + request.form.get("username", "").strip().lower()[:80]


def _address_key() -> str:
    return "address:" + (request.remote_addr or "?")


def _failed(response: Response) -> bool:
    """Only a refused password counts against the limits; signing in and the form itself do not."""
    return response.status_code == 401


def _too_many(limit: RequestLimit) -> FlaskResponse:
    # `reset_at` is rounded up a second past the window's end: never say more than the window itself
    seconds = min(limit.reset_at - time.time(), limit.limit.get_expiry())
    wait = max(1, math.ceil(seconds / 60))
    message = (
        f"Đăng nhập sai quá nhiều lần. Vì an toàn, vui lòng chờ khoảng {wait} phút rồi thử lại "
        "(hoặc liên hệ quản trị hệ thống để đặt lại mật khẩu)."
    )
    username = request.form.get("username", "").strip()[:80]
    response = make_response(render_template("login.html", username=username, message=message), 429)
    response.headers["Retry-After"] = str(wait * 60)
    return response


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(
    lambda: _settings().login_limit_account, key_func=_account_key, methods=["POST"], deduct_when=_failed,
    on_breach=_too_many, scope="account",
)  # fmt: skip
@limiter.limit(
    lambda: _settings().login_limit_address, key_func=_address_key, methods=["POST"], deduct_when=_failed,
    on_breach=_too_many, scope="address",
)  # fmt: skip
def login() -> str | Response | tuple[str, int]:
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:80]
        password = request.form.get("password", "")[:1024]
        user = verify_sign_in(request_session(), username, password)
        if user is None:
            return render_template("login.html", username=username, message=WRONG_CREDENTIALS), 401
        start_session(user)
        target = request.args.get("next", "")
        # only same-site relative targets: never redirect a signed-in user to another host
        if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
            target = url_for("workspace.my_work")  # everyone lands on their work
        return redirect(target)
    return render_template("login.html", username="")


def start_session(user: User) -> None:
    """A new session for this user: nothing of the previous one is kept, the CSRF token is new."""
    session.clear()
    g.pop("csrf_token", None)
    login_user(user)
    session.permanent = True  # expires after NTM_SESSION_IDLE_MINUTES without a request


@bp.route("/dang-xuat", methods=["POST"])
@login_required
def logout() -> Response:
    user: User = current_user._get_current_object()
    user.end_sessions()
    request_session().commit()
    logout_user()
    session.clear()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("views.index"))


@bp.route("/tai-khoan/mat-khau", methods=["GET", "POST"])
@login_required
def password() -> str | Response | tuple[str, int]:
    """Any signed-in person changes their own password; every other session of theirs ends."""
    if request.method == "POST":
        user: User = current_user._get_current_object()
        current = request.form.get("current", "")[:1024]
        new = request.form.get("new", "")[:1024]
        errors: dict[str, str] = {}
        if new != request.form.get("confirm", "")[:1024]:
            errors["confirm"] = "Hai lần nhập mật khẩu mới không khớp."
        else:
            try:
                change_password(request_session(), user, current, new)
            except WrongPasswordError as exc:
                errors["current"] = str(exc)
            except PasswordRejectedError as exc:
                errors["new"] = str(exc)
        if errors:
            request_session().rollback()
            return render_template("password.html", errors=errors, min_length=MIN_PASSWORD_LENGTH), 422
        request_session().commit()
        start_session(user)
        flash("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.", "success")
        return redirect(url_for("views.index"))
    return render_template("password.html", errors={}, min_length=MIN_PASSWORD_LENGTH)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.register_blueprint(bp)
