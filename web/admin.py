"""Administration pages: e-mails the system could not deliver, and sending them again; accounts (reset a
password, lock or unlock an account); reorganisations of the territory (dry run, then apply)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from dossiers.access import is_admin
from dossiers.accounts import MIN_PASSWORD_LENGTH, PasswordRejectedError, reset_password, set_active
from dossiers.demo import REFORM_PLAN
from dossiers.models import Reorganisation, User
from dossiers.reorganisation import ReorganisationError, ReorganisationPlan, builtin_plan_path, plan_from_text
from dossiers.reorganisation import apply as reorganisation_apply
from dossiers.reorganisation import preview as reorganisation_preview
from dossiers.settings import Settings
from notifications.models import MessageStatus
from notifications.notices import queue_reorganisation_notices
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


# --- reorganisations of the territory ---------------------------------------------------------------

REORGANISATION_SECTIONS = (
    ("units", "Đơn vị hành chính"),
    ("departments", "Phòng, ban, sở"),
    ("recognitions", "Công nhận (Công văn 267/BNN-VPĐP)"),
    ("dossiers", "Hồ sơ đang xử lý được chuyển giao"),
)
#: the largest plan accepted from the form (a province's plan is a few kilobytes)
MAX_PLAN_CHARS = 200_000


def _reorganisation_page(
    *,
    plan_text: str = "",
    changes: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    plan: ReorganisationPlan | None = None,
    status: int = 200,
) -> str | tuple[str, int]:
    session = request_session()
    html = render_template(
        "admin_reorganisation.html",
        applied=session.scalars(select(Reorganisation).order_by(Reorganisation.effective_on, Reorganisation.id)).all(),
        builtin=builtin_plan_path(REFORM_PLAN).read_text(encoding="utf-8"),
        plan_text=plan_text,
        plan=plan,
        changes=changes,
        errors=errors or [],
        sections=REORGANISATION_SECTIONS,
    )
    return (html, status) if status != 200 else html


@bp.route("/sap-xep")
@login_required
def reorganisations() -> str | tuple[str, int]:
    """Reorganisations applied, and a plan to try: the dry run shows every change before anything is saved."""
    _admin()
    return _reorganisation_page()


def _posted_plan() -> tuple[str, ReorganisationPlan]:
    text = request.form.get("plan", "")
    if len(text) > MAX_PLAN_CHARS:
        raise ReorganisationError([f"phương án dài quá {MAX_PLAN_CHARS} ký tự"])
    if not text.strip():
        raise ReorganisationError(["chưa nhập phương án"])
    return text, plan_from_text(text)


@bp.route("/sap-xep/xem-truoc", methods=["POST"])
@login_required
def preview_reorganisation() -> str | tuple[str, int]:
    _admin()
    session = request_session()
    text = request.form.get("plan", "")[:MAX_PLAN_CHARS]
    try:
        text, plan = _posted_plan()
        changes = reorganisation_preview(session, plan, request_now())
    except ReorganisationError as error:
        session.rollback()
        return _reorganisation_page(plan_text=text, errors=error.problems, status=422)
    session.rollback()
    return _reorganisation_page(plan_text=text, changes=changes, plan=plan)


@bp.route("/sap-xep/ap-dung", methods=["POST"])
@login_required
def apply_reorganisation() -> Response | str | tuple[str, int]:
    actor = _admin()
    session = request_session()
    text = request.form.get("plan", "")[:MAX_PLAN_CHARS]
    try:
        text, plan = _posted_plan()
        if request.form.get("confirm") != plan.code:
            raise ReorganisationError([f"hãy xem trước, rồi xác nhận bằng mã phương án «{plan.code}»"])
        record = reorganisation_apply(session, plan, actor, request_now())
        settings: Settings = current_app.config["NTM_SETTINGS"]
        told = queue_reorganisation_notices(
            session, record, request_now(), sender=settings.mail_sender, base_url=settings.base_url
        )
    except ReorganisationError as error:
        session.rollback()
        return _reorganisation_page(plan_text=text, errors=error.problems, status=422)
    session.commit()
    moved = len(record.changes.get("transferred") or [])
    flash(f"Đã áp dụng «{record.name}»: {moved} hồ sơ được chuyển giao, {told} người được báo tin.", "success")
    return redirect(url_for("admin.reorganisations"))
