"""The migrations build the schema on an empty database, and it matches the models exactly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from dossiers.db import Base, make_engine
from dossiers.settings import Settings
from web import create_app


def test_upgrade_builds_a_schema_that_matches_the_models(empty_database_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(instance_path=tmp_path / "instance", database_url=empty_database_url, environment="test"))
    with app.app_context():
        upgrade()
    app.extensions["ntm_database"].engine.dispose()
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
            )
            tables = set(inspect(connection).get_table_names())
        assert differences == []
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_database_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(instance_path=tmp_path / "instance", database_url=empty_database_url, environment="test"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
    app.extensions["ntm_database"].engine.dispose()
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
