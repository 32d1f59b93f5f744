"""Bearer tokens: who calls, recorded for every call, limited per token.

The secret is read from `Authorization: Bearer …` only (never from the URL, which servers log); the
limiter keys on a digest of it, so not even the counters hold it in clear.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, g, request
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from dossiers import tokens
from dossiers.models import ApiToken, User
from dossiers.settings import Settings
from web.api.errors import json_error
from web.clock import request_now
from web.extensions import limiter
from web.session import request_session


def presented_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def rate_key() -> str:
    """One bucket per token (by digest), one per address for calls without one."""
    secret = presented_secret()
    if secret is None:
        return f"api-address:{get_remote_address()}"
    return "api-token:" + hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:32]


def _api_rate_limit() -> str:
    settings: Settings = current_app.config["NTM_SETTINGS"]
    limit: str = current_app.config.get("NTM_API_RATE_LIMIT") or settings.api_rate_limit
    return limit


def api_token() -> ApiToken:
    token: ApiToken = g.api_token
    return token


def api_user() -> User:
    user: User = g.api_token.user
    return user


def _authenticate() -> Response | None:
    secret = presented_secret()
    token = tokens.authenticate(request_session(), secret, request_now()) if secret is not None else None
    if token is None:
        return json_error(401)
    g.api_token = token
    g.api_token_id = token.id
    return None


def _record(response: Response) -> Response:
    """Every call that named a live token leaves a row with the token's id, whatever its outcome."""
    token_id = g.get("api_token_id")
    if token_id is None:
        return response
    session = request_session()
    # the view committed what it meant to keep; anything else (a refused change) is dropped here
    session.rollback()
    dossier_id = (request.view_args or {}).get("dossier_id")
    tokens.record_call(
        session,
        token_id,
        request_now(),
        method=request.method,
        endpoint=request.url_rule.rule if request.url_rule is not None else request.path,
        status=response.status_code,
        dossier_id=dossier_id if isinstance(dossier_id, int) else None,
    )
    session.commit()
    return response


def protect(blueprint: Blueprint) -> None:
    """Every route of `blueprint` needs a live token, counts against its limit and is recorded."""
    limiter.limit(_api_rate_limit, key_func=rate_key, scope="api")(blueprint)
    blueprint.before_request(_authenticate)
    blueprint.after_request(_record)
