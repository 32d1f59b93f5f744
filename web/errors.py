"""Errors become pages for people (Vietnamese unless English was chosen) and JSON for the API, never a bare 500."""

from __future__ import annotations

import contextlib

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web.messages import HTTP_MESSAGES, describe, http_message
from workflow.errors import ActionNotAllowed, GuardFailed, NotFound, NotPermitted, StaleDossier, WorkflowError

#: each domain error has one HTTP status on the pages (the API says 412 for a stale dossier: `web.api.errors`)
WORKFLOW_STATUS: dict[type[WorkflowError], int] = {
    ActionNotAllowed: 409,
    StaleDossier: 409,
    NotPermitted: 403,
    GuardFailed: 422,
    NotFound: 404,
}


#: when even the error page cannot be rendered (the template or the database failed again)
FALLBACK_PAGE = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi {status}</title></head>'
    '<body><h1>Lỗi {status}</h1><p>{message}</p><p><a href="/">Về trang chủ</a></p></body></html>'
)


def is_api() -> bool:
    return request.path.startswith("/api/")


def wants_json() -> bool:
    return is_api() or request.accept_mimetypes.best == "application/json"


def error_response(status: int, detail: str | None = None) -> tuple[Response | str, int]:
    message = http_message(status)
    if is_api():
        from web.api.errors import json_error

        return json_error(status, message=f"{message} {detail}" if detail else message), status
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
        if is_api():
            from web.api.errors import http_error

            return http_error(exc), status
        detail = exc.description if status not in HTTP_MESSAGES else None
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            detail = gettext("At most %(mb)s MB may be sent at once.", mb=limit // (1024 * 1024))
        return error_response(status, detail)

    @app.errorhandler(WorkflowError)
    def handle_workflow(exc: WorkflowError) -> tuple[Response | str, int]:
        if is_api():
            from web.api.errors import workflow_error

            _discard_request_session()
            response = workflow_error(exc)
            return response, response.status_code
        status = next((code for kind, code in WORKFLOW_STATUS.items() if isinstance(exc, kind)), 409)
        return error_response(status, describe(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error", exc_info=exc)
        _discard_request_session()
        return error_response(500)
