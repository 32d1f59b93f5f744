"""The Flask shell over the domain: app factory, pages, sign-in, CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from dossiers.db import make_engine, make_session_factory
from dossiers.settings import Settings


def create_app(settings: Settings | None = None, **config: Any) -> Flask:
    """Build the app. Never starts the scheduler: that is `ntm scheduler`, its own process.

    Refuses to build in production without SECRET_KEY (`MissingSecretKeyError`), or with a province's figures
    file (`dossiers/data/regimes/`, `NTM_PROVINCE_FIGURES`) that cannot be used (`RegimeDataError`)."""
    settings = settings or Settings.from_env()
    secret_key = settings.require_secret_key()
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=False)
    app.config.update(
        SECRET_KEY=secret_key,
        NTM_SETTINGS=settings,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.session_idle_minutes),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
    )
    app.config.update(**config)
    # Bootstrap's files come from the Bootstrap-Flask package, never from a CDN (the CSP allows 'self' only)
    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)
    settings.instance_path.mkdir(parents=True, exist_ok=True)

    from dossiers.regimes import province_figures

    # a province's figures file that cannot be used stops the start here (RegimeDataError says where and why),
    # not the first registration of that province
    province_figures()

    from web import security

    security.configure(app, settings)

    from web.extensions import Database, bootstrap, csrf, limiter, login_manager, migrate

    engine = make_engine(settings.database_url)
    app.extensions["ntm_database"] = Database(engine=engine, session_factory=make_session_factory(engine))
    migrate.init_app(app, app.extensions["ntm_database"], directory=str(_migrations_dir()))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)

    from web import auth, errors, filters, i18n, views
    from web.session import close_request_session
    from web.workspace.views import bp as workspace

    app.teardown_appcontext(close_request_session)
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(workspace)

    from web.admin import bp as admin
    from web.dashboard.plans import bp as plans
    from web.dashboard.views import bp as dashboard
    from web.reports.views import bp as reports

    app.register_blueprint(admin)
    app.register_blueprint(dashboard)
    app.register_blueprint(reports)
    app.register_blueprint(plans)

    from web import api, tokens_page

    api.init_app(app)
    app.register_blueprint(tokens_page.bp)
    # bearer tokens, not cookies, authenticate the API: a cross-site form cannot forge a call
    csrf.exempt(api.dossiers.bp)
    csrf.exempt(api.resources.bp)
    csrf.exempt(api.reports.bp)

    from web import csrf_recovery

    csrf_recovery.init_app(app)

    from web.cli import register_commands

    register_commands(app)
    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
