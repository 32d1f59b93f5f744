"""What every request and response goes through: ids bounded in URLs, security headers, cookie settings,
the request size limit, trusted proxies."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from dossiers.settings import Settings

#: the largest value of a PostgreSQL `integer` (every primary key here): a larger id cannot name a row
MAX_ID = 2**31 - 1

#: room for the other fields of a multipart form next to the largest evidence file
FORM_OVERHEAD_BYTES = 1024 * 1024

#: every page is served from this origin: no inline script or style, no framing, forms post only here
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: 1 … 2³¹-1. Anything else is "no such page" (404), never a query that
    overflows the database's integer (a 500 on PostgreSQL, and on SQLite beyond 2⁶³)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


talisman = Talisman()


def configure(app: Flask, settings: Settings) -> None:
    """Before any route is registered: the converters apply to rules as they are added."""
    # `int` itself is replaced, so a route added later with `<int:…>` is bounded without anyone remembering to
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        MAX_CONTENT_LENGTH=settings.evidence_max_mb * 1024 * 1024 + FORM_OVERHEAD_BYTES,
    )
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.proxy_count,
            x_proto=settings.proxy_count,
            x_host=settings.proxy_count,
            x_port=settings.proxy_count,
            x_prefix=settings.proxy_count,
        )
    talisman.init_app(
        app,
        force_https=settings.https,
        frame_options="DENY",
        strict_transport_security=True,  # sent only on requests that came over HTTPS
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        session_cookie_secure=settings.https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )
