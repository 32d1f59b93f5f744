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
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced, dropping it would
            # delete through every ON DELETE CASCADE that points at it. The pragma only takes effect
            # outside a transaction, so it is set (and committed) before the migrations' transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            if broken:
                raise RuntimeError(f"the migrations left rows whose foreign keys point nowhere: {broken}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
