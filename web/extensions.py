"""Flask extensions and the database handle shared by the app, the CLI and migrations."""

from __future__ import annotations

from dataclasses import dataclass

from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dossiers.db import Base

login_manager = LoginManager()
#: Bootstrap 5 served from the package (BOOTSTRAP_SERVE_LOCAL, set by `create_app`)
bootstrap = Bootstrap5()
migrate = Migrate()
csrf = CSRFProtect()
#: no limit on every route; sign-in sets its own (`web.auth`). Storage: RATELIMIT_STORAGE_URI, set by `create_app`
limiter = Limiter(key_func=get_remote_address)


@dataclass
class Database:
    """What Flask-Migrate and the request cycle need: the metadata, the engine, a session factory."""

    engine: Engine
    session_factory: sessionmaker[Session]

    @property
    def metadata(self) -> MetaData:
        return Base.metadata
