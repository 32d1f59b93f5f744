"""Flask-Babel for the whole app: Vietnamese first, English second.

The API follows `Accept-Language` (Vietnamese unless English is preferred); pages follow the language a
person chose with the switch in the header (kept in a cookie for a year), Vietnamese otherwise.
Catalogs live in `web/translations/<lang>/LC_MESSAGES/messages.po`; the compiled `.mo` files are committed
(`scripts/translations.sh` extracts, updates and compiles them; a test checks they are current).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, request
from flask_babel import Babel
from werkzeug.wrappers import Response

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
COOKIE = "ntm_lang"

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def _same_site(target: str | None) -> str:
    """Only a path of this site: never an address elsewhere (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@bp.get("/ngon-ngu/<lang>")
def switch_language(lang: str) -> Response:
    """Keep the language chosen and go back where the person was."""
    response = redirect(_same_site(request.args.get("next")))
    if lang in LANGUAGES:
        response.set_cookie(
            COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def languages() -> dict[str, object]:
        return {"languages": LANGUAGES, "current_language": select_locale()}
