"""Alembic environment: the metadata of every model, the engine of the running app (or DATABASE_URL)."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection, Engine

import dossiers.models  # noqa: F401 - registers every table
import notifications.models  # noqa: F401 - and the outbox's
from dossiers.db import Base, make_engine

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")
target_metadata = Base.metadata


def _engine() -> Engine:
    """Inside `ntm db …` the app's engine; standalone, the URL from the settings."""
    try:
        from flask import current_app

        engine: Engine = current_app.extensions["migrate"].db.engine
        return engine
    except (RuntimeError, KeyError):
        from dossiers.settings import Settings

        return make_engine(Settings.from_env().database_url)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(url=str(_engine().url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
