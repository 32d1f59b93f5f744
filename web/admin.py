"""Administration pages: e-mails the system could not deliver, and sending them again; accounts (reset a
password, lock or unlock an account)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from dossiers.access import is_admin
from dossiers.accounts import MIN_PASSWORD_LENGTH, PasswordRejectedError, reset_password, set_active
from dossiers.models import User
from notifications.models import MessageStatus
from notifications.outbox import failed_messages, list_messages, retry_message
from web.clock import request_now
from web.session import request_session

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")

STATUS_LABELS = {
    MessageStatus.PENDING: "Chờ gửi",
    MessageStatus.SENDING: "Đang gửi",
    MessageStatus.SENT: "Đã gửi",
    MessageStatus.FAILED: "Gửi lỗi",
    MessageStatus.CANCELLED: "Đã hủy",
}


def _admin() -> User:
    user: User = current_user._get_current_object()
    if not is_admin(user):
        abort(403)
    return user


@bp.route("/thu-dien-tu")
@login_required
def outbox() -> str:
    """Failed e-mails first (they need a person), then the most recent ones."""
    _admin()
    session = request_session()
    return render_template(
        "admin_outbox.html",
        failed=failed_messages(session),
        recent=list_messages(session, limit=30),
        status_labels={status.value: label for status, label in STATUS_LABELS.items()},
    )


@bp.route("/thu-dien-tu/<int:message_id>/gui-lai", methods=["POST"])
@login_required
def retry(message_id: int) -> Response:
    actor = _admin()
    session = request_session()
    message = retry_message(session, actor, request_now(), message_id)
    session.commit()
    flash(f"Thư #{message.id} tới {message.to_address} sẽ được gửi lại ở lượt quét tới.", "success")
    return redirect(url_for("admin.outbox"))


def _users_page(errors: dict[int, str] | None = None, status: int = 200) -> str | tuple[str, int]:
    users = request_session().scalars(select(User).options(selectinload(User.roles)).order_by(User.username)).all()
    html = render_template("admin_users.html", users=users, errors=errors or {}, min_length=MIN_PASSWORD_LENGTH)
    return (html, status) if status != 200 else html


@bp.route("/nguoi-dung")
@login_required
def users() -> str | tuple[str, int]:
    _admin()
    return _users_page()


def _target(user_id: int) -> User:
    return request_session().get(User, user_id) or abort(404)


@bp.route("/nguoi-dung/<int:user_id>/mat-khau", methods=["POST"])
@login_required
def reset(user_id: int) -> Response | str | tuple[str, int]:
    """A new password chosen by the administrator; the person's sessions end."""
    actor = _admin()
    session = request_session()
    user = _target(user_id)
    try:
        reset_password(session, actor, user, request.form.get("password", "")[:1024])
    except PasswordRejectedError as exc:
        session.rollback()
        return _users_page({user_id: str(exc)}, 422)
    session.commit()
    flash(f"Đã đặt lại mật khẩu của {user.username}; các phiên đăng nhập của người này đã kết thúc.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/nguoi-dung/<int:user_id>/trang-thai", methods=["POST"])
@login_required
def activation(user_id: int) -> Response:
    actor = _admin()
    session = request_session()
    user = _target(user_id)
    active = request.form.get("active") == "1"
    set_active(session, actor, user, active)
    session.commit()
    flash(f"Đã {'mở khóa' if active else 'khóa'} tài khoản {user.username}.", "success")
    return redirect(url_for("admin.users"))
