"""Every API error as one JSON shape: `{"code", "message", "errors": {field: [...]}}` (+ `status`, and the
allowed actions when an action is not allowed now). Statuses, used the same way everywhere:

400 malformed request (JSON that does not parse) · 401 no usable token · 403 the token's user may not take
this action (or read this area) · 404 nothing there, or nothing the caller may read (a dossier of another
commune, as on the pages) · 409 the action is not allowed in the dossier's state, or a duplicate · 412 the
dossier changed since the ETag the client sent · 422 the input does not fit its schema, or a condition of the
action does not hold · 428 a change sent without If-Match · 429 too many calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web.messages import describe, http_message
from workflow.engine import Procedure
from workflow.errors import ActionNotAllowed, GuardFailed, NotFound, NotPermitted, StaleDossier, WorkflowError

#: the code of each status when nothing more precise is known
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "server_error",
}

#: the API's status of each domain error (the pages' is `web.errors.WORKFLOW_STATUS`): the API says 412 for a
#: stale dossier because the client named the version it saw in If-Match
API_STATUS: dict[type[WorkflowError], int] = {
    ActionNotAllowed: 409,
    StaleDossier: 412,
    NotPermitted: 403,
    GuardFailed: 422,
    NotFound: 404,
}

#: marshmallow's and webargs' own messages, in the catalog
FIELD_MESSAGES = {
    "Missing data for required field.": lazy_gettext("Missing data for required field."),
    "Unknown field.": lazy_gettext("Unknown field."),
    "Field may not be null.": lazy_gettext("Field may not be null."),
    "Not a valid integer.": lazy_gettext("Not a valid integer."),
    "Not a valid string.": lazy_gettext("Not a valid string."),
    "Not a valid boolean.": lazy_gettext("Not a valid boolean."),
    "Not a valid date.": lazy_gettext("Not a valid date."),
    "Not a valid list.": lazy_gettext("Not a valid list."),
    "Not a valid mapping type.": lazy_gettext("Not a valid mapping type."),
    "Invalid input type.": lazy_gettext("Invalid input type."),
    "Invalid JSON body.": lazy_gettext("Invalid JSON body."),
    "Must be one of: {choices}.": lazy_gettext("Must be one of: {choices}."),
}


def _translated(message: str) -> str:
    known = FIELD_MESSAGES.get(message)
    return str(known) if known is not None else message


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as `{"entries.0.met": ["…"]}`."""
    found: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten(value, name).items():
                found.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            found[prefix or "_request"] = [_translated(t) for t in texts]
        for m in messages:
            if not isinstance(m, str):
                for field, more in flatten(m, prefix).items():
                    found.setdefault(field, []).extend(more)
    elif isinstance(messages, str):
        found[prefix or "_request"] = [_translated(messages)]
    return found


def error_body(status: int, code: str, message: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"status": status, "code": code, "message": message, "errors": errors or {}}


def json_error(
    status: int,
    code: str | None = None,
    message: str | None = None,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> Response:
    body = error_body(status, code or STATUS_CODES.get(status, "error"), message or http_message(status), errors)
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ntm-api"'
    return response


def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors: dict[str, list[str]] = {}
    messages = data.get("messages") or data.get("errors")
    if isinstance(messages, Mapping):
        # webargs: {location: {field: [...]}}; the location only matters to a human when it is not the body
        for location, inner in messages.items():
            prefix = "" if location in ("json", "form", "files") else str(location)
            errors.update(flatten(inner, prefix))
    message = data.get("message") if isinstance(data.get("message"), str) else None
    response = json_error(status, message=message, errors=errors)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def workflow_error(exc: WorkflowError, procedure: Procedure | None = None) -> Response:
    status = next((code for kind, code in API_STATUS.items() if isinstance(exc, kind)), 409)
    extra: dict[str, Any] = {}
    if isinstance(exc, ActionNotAllowed):
        extra["allowed_actions"] = list(exc.allowed)
    errors = {"_request": list(exc.missing)} if isinstance(exc, GuardFailed) else None
    return json_error(status, exc.code, describe(exc, procedure), errors, **extra)
