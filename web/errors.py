"""Errors become Vietnamese pages for people and structured JSON for the API, never a bare 500."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from workflow.errors import ActionNotAllowed, GuardFailed, NotPermitted, StaleDossier, WorkflowError

#: each domain error has one HTTP status, everywhere
WORKFLOW_STATUS: dict[type[WorkflowError], int] = {
    ActionNotAllowed: 409,
    StaleDossier: 409,
    NotPermitted: 403,
    GuardFailed: 422,
}

MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Bạn cần đăng nhập.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy trang hoặc dữ liệu yêu cầu.",
    405: "Phương thức không được hỗ trợ.",
    409: "Dữ liệu đã bị thay đổi bởi người khác; vui lòng tải lại.",
    422: "Dữ liệu nhập chưa hợp lệ.",
    500: "Đã xảy ra lỗi hệ thống. Vui lòng thử lại sau.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, detail: str | None = None) -> tuple[Response | str, int]:
    message = MESSAGES.get(status, MESSAGES[500])
    if wants_json():
        return jsonify(error={"status": status, "message": message, "detail": detail}), status
    return render_template("error.html", status=status, message=message, detail=detail), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> tuple[Response | str, int]:
        return error_response(exc.code or 500, exc.description if exc.code not in MESSAGES else None)

    @app.errorhandler(WorkflowError)
    def handle_workflow(exc: WorkflowError) -> tuple[Response | str, int]:
        status = next((code for kind, code in WORKFLOW_STATUS.items() if isinstance(exc, kind)), 409)
        return error_response(status, exc.message)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error", exc_info=exc)
        return error_response(500)
