"""Sign-in and sign-out (Flask-Login), with Vietnamese messages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from dossiers.models import User
from web.extensions import login_manager
from web.session import request_session

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = request_session().get(User, int(user_id))
    return user if user is not None and user.active else None


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = request_session().scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or not user.check_password(password):
            flash("Tên đăng nhập hoặc mật khẩu không đúng.", "error")
            return render_template("login.html", username=username), 401  # type: ignore[return-value]
        login_user(user)
        target = request.args.get("next", "")
        # only same-site relative targets: never redirect a signed-in user to another host
        if not target.startswith("/") or urlsplit(target).netloc:
            target = url_for("views.index")
        return redirect(target)
    return render_template("login.html", username="")


@bp.route("/dang-xuat", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("views.index"))


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    app.register_blueprint(bp)
