"""Errors become Vietnamese pages for people and structured JSON for the API, never a bare 500."""

from __future__ import annotations

import contextlib

from flask import Flask, g, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from workflow.errors import ActionNotAllowed, GuardFailed, NotFound, NotPermitted, StaleDossier, WorkflowError

#: each domain error has one HTTP status, everywhere
WORKFLOW_STATUS: dict[type[WorkflowError], int] = {
    ActionNotAllowed: 409,
    StaleDossier: 409,
    NotPermitted: 403,
    GuardFailed: 422,
    NotFound: 404,
}

MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Bạn cần đăng nhập.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy trang hoặc dữ liệu yêu cầu.",
    405: "Phương thức không được hỗ trợ.",
    409: "Dữ liệu đã thay đổi kể từ khi trang được mở; vui lòng tải lại trang.",
    413: "Dữ liệu gửi lên quá lớn.",
    422: "Dữ liệu nhập chưa hợp lệ.",
    429: "Bạn đã gửi quá nhiều yêu cầu; vui lòng chờ rồi thử lại.",
    500: "Đã xảy ra lỗi hệ thống. Vui lòng thử lại sau.",
}

#: when even the error page cannot be rendered (the template or the database failed again)
FALLBACK_PAGE = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi {status}</title></head>'
    '<body><h1>Lỗi {status}</h1><p>{message}</p><p><a href="/">Về trang chủ</a></p></body></html>'
)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, detail: str | None = None) -> tuple[Response | str, int]:
    message = MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400]
    if wants_json():
        return jsonify(error={"status": status, "message": message, "detail": detail}), status
    try:
        return render_template("error.html", status=status, message=message, detail=detail), status
    except Exception:
        _discard_request_session()
        return FALLBACK_PAGE.format(status=status, message=escape(message)), status


def _discard_request_session() -> None:
    """After a failed statement PostgreSQL refuses every further one in the transaction: the error page
    (which shows who is signed in) must start a fresh one."""
    session = g.get("db_session")
    if session is not None:
        # the connection may be gone: the page is then drawn without it
        with contextlib.suppress(Exception):
            session.rollback()


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> tuple[Response | str, int]:
        made = exc.get_response() if exc.response is not None else None
        if isinstance(made, Response):
            # a response made for this error (the sign-in page when sign-in is throttled)
            return made, made.status_code
        status = exc.code or 500
        detail = exc.description if status not in MESSAGES else None
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            detail = f"Dung lượng tối đa của một lần gửi là {limit // (1024 * 1024)} MB."
        return error_response(status, detail)

    @app.errorhandler(WorkflowError)
    def handle_workflow(exc: WorkflowError) -> tuple[Response | str, int]:
        status = next((code for kind, code in WORKFLOW_STATUS.items() if isinstance(exc, kind)), 409)
        # a conflict may be the same person in another tab: the page's own sentence, without blame or versions
        return error_response(status, None if isinstance(exc, StaleDossier) else exc.message)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error", exc_info=exc)
        _discard_request_session()
        return error_response(500)
