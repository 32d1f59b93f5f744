"""The REST API, `/api/v1/…`: flask-smorest over the same command path as the pages.

Bearer personal access tokens (`dossiers.tokens`) act as their user, with the same "who may"
(`dossiers.access.load_actor`, `workflow.permissions`). Every call is recorded with its token's id
(`api_calls`); secrets are never stored or logged. The OpenAPI 3.1 document is `/api/openapi.json`,
browsable at `/api/docs` (a page drawn on the server from that document: no script, no CDN).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_smorest import Api

from web.api.schemas import ErrorSchema

API_PREFIX = "/api/v1"


class NtmApi(Api):  # type: ignore[misc]  # flask-smorest ships no type hints
    """flask-smorest's Api, with our error shape; its own HTTPException handler would answer pages too."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """`web.errors` answers every error: JSON under /api/ (`web.api.errors.http_error`), pages elsewhere."""


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="NTM Dossiers API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Hồ sơ xét, công nhận nông thôn mới: the same procedure, permissions and audit as the web "
                    "pages. Authenticate with `Authorization: Bearer <token>` (a personal access token: "
                    "`ntm tokens create` or the page “Khóa API”). Messages are Vietnamese unless "
                    "`Accept-Language: en`. Changes of a dossier need `If-Match` with its `ETag`."
                ),
            },
            "security": [{"bearerAuth": []}],
            "servers": [{"url": "/"}],
        },
    )
    # Vietnamese as it is written, not as \u escapes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    api = NtmApi(app)
    app.extensions["ntm_api"] = api
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "personal access token (ntm_…)"}
    )
    from web.api import dashboard, docs, dossiers, plans, reports, resources

    for blueprint in (resources.bp, dossiers.bp, dashboard.bp, plans.bp, reports.bp):
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    app.register_blueprint(docs.bp)


def spec_dict() -> dict[str, Any]:
    spec: dict[str, Any] = current_app.extensions["ntm_api"].spec.to_dict()
    return spec
