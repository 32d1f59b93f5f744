"""The migrations build the schema on an empty database, and it matches the models exactly."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, MetaData, func, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from dossiers.db import Base, make_engine
from dossiers.models import Assessment, Dossier, Indicator
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
    """On SQLite batch mode rebuilds tables; rows that point at a rebuilt table (cascading) must survive.
    Rows are written with the initial schema's columns (reflected), so later columns do not get in the way;
    a dossier of 2025 takes the regime of its year."""
    app = create_app(Settings(instance_path=tmp_path / "instance", database_url=empty_database_url, environment="test"))
    with app.app_context():
        upgrade(revision=INITIAL)
        with app.extensions["ntm_database"].engine.begin() as connection:
            _a_dossier_with_an_assessment(connection)
        upgrade()
    app.extensions["ntm_database"].engine.dispose()
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Dossier)) == 1
            assert session.scalar(select(func.count()).select_from(Assessment)) == 1
            assert session.scalar(select(func.count()).select_from(Indicator)) == 1
            assert session.scalars(select(Dossier.regime)).one() == "2021-2025"
    finally:
        engine.dispose()


def _a_dossier_with_an_assessment(connection: Connection) -> None:
    now = dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC)
    tables = MetaData()
    tables.reflect(connection)

    def add(table: str, **values: object) -> int:
        result = connection.execute(insert(tables.tables[table]).values(**values))
        key = result.inserted_primary_key
        return int(key[0]) if key else 0

    commune = add("units", name="Lê Lai", kind=UnitKind.COMMUNE.value, code="01819")
    criteria_set = add(
        "criteria_sets", code="test-set", version=1, name="Bộ thử", levels=["commune-ntm"], legal_source="—",
        period_start=2021, period_end=2025, confidence=Confidence.LOW.value, source_file="test",
        content_sha256="0" * 64, loaded_at=now, regions=[], commune_groups=[], conditions=[], outstanding_fields=[],
    )  # fmt: skip
    criterion = add(
        "criteria", criteria_set_id=criteria_set, number=1, name="Quy hoạch", confidence=Confidence.LOW.value,
        is_key=False,
    )  # fmt: skip
    indicator = add(
        "indicators", criterion_id=criterion, code="1", position=1, name="Quy hoạch", measure=Measure.YES_NO.value,
        confidence=Confidence.LOW.value, thresholds={}, evidence=[], reconstructed=True,
    )  # fmt: skip
    dossier = add(
        "dossiers", unit_id=commune, authority_unit_id=commune, level=RecognitionLevel.COMMUNE_NTM.value, year=2025,
        kind="recognition", criteria_set_id=criteria_set, state="self_assessment", created_at=now, updated_at=now,
        version=1,
    )  # fmt: skip
    add("assessments", dossier_id=dossier, indicator_id=indicator, value="đạt", met=True)
