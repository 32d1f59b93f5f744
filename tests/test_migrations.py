"""The migrations build the schema on an empty database, and it matches the models exactly."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers.db import Base, make_engine
from dossiers.models import Assessment, CriteriaSet, Criterion, Dossier, Indicator, Unit
from dossiers.settings import Settings
from web import create_app
from workflow.vocabulary import Confidence, Measure, RecognitionLevel, UnitKind

INITIAL = "84f42a89d70f"


def _quoted(sql: str) -> frozenset[str]:
    """The string literals of a CHECK condition; PostgreSQL rewrites the SQL around them, not them."""
    return frozenset(found.replace("''", "'") for found in re.findall(r"'((?:[^']|'')*)'", sql))


def _check_constraints_of_models() -> dict[tuple[str, str], frozenset[str]]:
    return {
        (table.name, str(constraint.name)): _quoted(str(constraint.sqltext))
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


def _check_constraints_in(connection: Connection) -> dict[tuple[str, str], frozenset[str]]:
    inspector = inspect(connection)
    return {
        (table, str(check["name"])): _quoted(check["sqltext"])
        for table in Base.metadata.tables
        for check in inspector.get_check_constraints(table)
    }


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
            checks_in_database = _check_constraints_in(connection)
        assert differences == []
        assert set(Base.metadata.tables) <= tables
        # autogenerate does not compare CHECK constraints: compare their names and the values they allow
        assert checks_in_database == _check_constraints_of_models()
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


def test_upgrading_a_database_with_data_keeps_every_row(empty_database_url: str, tmp_path: Path) -> None:
    """On SQLite batch mode rebuilds tables; rows that point at a rebuilt table (cascading) must survive."""
    app = create_app(Settings(instance_path=tmp_path / "instance", database_url=empty_database_url, environment="test"))
    with app.app_context():
        upgrade(revision=INITIAL)
        with Session(app.extensions["ntm_database"].engine) as session:
            session.add(_a_dossier_with_an_assessment())
            session.commit()
        upgrade()
    app.extensions["ntm_database"].engine.dispose()
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Dossier)) == 1
            assert session.scalar(select(func.count()).select_from(Assessment)) == 1
            assert session.scalar(select(func.count()).select_from(Indicator)) == 1
    finally:
        engine.dispose()


def _a_dossier_with_an_assessment() -> Dossier:
    now = dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC)
    commune = Unit(name="Lê Lai", kind=UnitKind.COMMUNE, code="01819")
    indicator = Indicator(code="1", position=1, name="Quy hoạch", measure=Measure.YES_NO, confidence=Confidence.LOW)
    criteria_set = CriteriaSet(
        code="test-set", version=1, name="Bộ thử", levels=["commune-ntm"], legal_source="—", period_start=2021,
        period_end=2025, confidence=Confidence.LOW, source_file="test", content_sha256="0" * 64, loaded_at=now,
        criteria=[Criterion(number=1, name="Quy hoạch", confidence=Confidence.LOW, indicators=[indicator])],
    )  # fmt: skip
    return Dossier(
        unit=commune, authority_unit=commune, level=RecognitionLevel.COMMUNE_NTM, year=2025, criteria_set=criteria_set,
        state="self_assessment", created_at=now, updated_at=now, version=1,
        assessments=[Assessment(indicator=indicator, value="đạt", met=True)],
    )  # fmt: skip
