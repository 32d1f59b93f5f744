"""Administration pages: e-mails the system could not deliver, and sending them again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from dossiers.access import is_admin
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
