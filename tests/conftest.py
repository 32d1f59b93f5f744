"""Fixtures shared by every test. One style: pytest fixtures, no factories library.

The database is SQLite by default; set NTM_TEST_DATABASE_URL to run the same suite on
PostgreSQL (`.ci/run` does both). Each test runs in a transaction that is rolled back;
code under test may commit (it only releases a savepoint).

The test database starts empty. A test that asks for `demo` (or `demo_world`, the demo with its
2025 dossiers) runs on a database of its own where that was loaded once per session
(`tests.demo_database`), still in a transaction rolled back after the test.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

import dossiers.models  # noqa: F401 - registers every table on Base.metadata
import notifications.models  # noqa: F401 - and the outbox, calendar and deadline-override tables
from dossiers.db import Base, make_engine
from dossiers.demo import DemoData
from dossiers.settings import Settings
from tests.demo_database import DemoDatabase, DemoWorld, load_demo_database
from web import create_app
from web.extensions import Database

NOW = dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC)


def _test_database_url(tmp_root: Path) -> str:
    return os.environ.get("NTM_TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _test_database_url(tmp_path_factory.mktemp("db"))


def _test_engine(database_url: str) -> Engine:
    engine = make_engine(database_url)
    if engine.dialect.name == "sqlite":
        # pysqlite's own transaction handling defeats SAVEPOINT-based isolation; let SQLAlchemy drive it
        @event.listens_for(engine, "connect")
        def _no_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _emit_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = _test_engine(database_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


def _demo_database(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, *, with_dossiers: bool, today: bool = False
) -> Iterator[DemoDatabase]:
    folder = tmp_path_factory.mktemp("demo-today" if today else "demo-world" if with_dossiers else "demo")
    for url in _fresh_database(folder, database_url, create_schema=True):
        engine = _test_engine(url)
        try:
            yield load_demo_database(engine, with_dossiers=with_dossiers, today=today)
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[DemoDatabase]:
    """The demo (units, departments, accounts, criteria sets, ownership), loaded once and committed."""
    yield from _demo_database(tmp_path_factory, database_url, with_dossiers=False)


@pytest.fixture(scope="session")
def demo_world_database(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[DemoDatabase]:
    """The demo and its 2025 dossiers in a spread of states, loaded once and committed."""
    yield from _demo_database(tmp_path_factory, database_url, with_dossiers=True)


@pytest.fixture(scope="session")
def demo_today_database(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[DemoDatabase]:
    """The whole demo as `ntm demo` loads it: 2025, the 1/7/2025 reorganisation replayed, the 2026 cycle."""
    yield from _demo_database(tmp_path_factory, database_url, with_dossiers=True, today=True)


def _requested_demo(request: pytest.FixtureRequest) -> DemoDatabase | None:
    """The demo database the test asked for (the whole story, then the one with dossiers, wins), if any."""
    if "demo_today" in request.fixturenames:
        today: DemoDatabase = request.getfixturevalue("demo_today_database")
        return today
    if "demo_world" in request.fixturenames:
        found: DemoDatabase = request.getfixturevalue("demo_world_database")
        return found
    if "demo" in request.fixturenames:
        found = request.getfixturevalue("demo_database")
        return found
    return None


@pytest.fixture
def connection(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Connection]:
    requested = _requested_demo(request)
    with (requested.engine if requested else engine).connect() as conn:
        transaction = conn.begin()
        yield conn
        if transaction.is_active:
            transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def demo(request: pytest.FixtureRequest, session: Session) -> DemoData:
    """The demo's objects in the test's session; the test runs on the demo database (see `connection`)."""
    requested = _requested_demo(request)
    assert requested is not None
    return requested.ids.demo_in(session)


@pytest.fixture
def demo_world(demo_world_database: DemoDatabase) -> DemoWorld:
    """The ids of the demo's 2025 dossiers and units; the test runs on that database (see `connection`)."""
    assert demo_world_database.world is not None
    return demo_world_database.world


@pytest.fixture
def demo_today(demo_today_database: DemoDatabase) -> DemoWorld:
    """The ids of the whole demo story (see `demo_today_database`); the test runs on that database."""
    assert demo_today_database.world is not None
    return demo_today_database.world


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(instance_path=tmp_path / "instance", database_url=database_url, secret_key="test")


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session], connection: Connection) -> Flask:
    """The app, its requests and CLI bound to the test's rolled-back transaction."""
    app = create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False)
    app.extensions["ntm_database"].engine.dispose()
    app.extensions["ntm_database"] = Database(engine=connection.engine, session_factory=session_factory)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def _fresh_database(tmp_path: Path, database_url: str, *, create_schema: bool) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        if create_schema:
            setup = make_engine(fresh)
            Base.metadata.create_all(setup)
            setup.dispose()
        yield fresh
        return
    name = f"{url.database}_iso_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    fresh_url = url.set(database=name).render_as_string(hide_password=False)
    if create_schema:
        setup = make_engine(fresh_url)
        Base.metadata.create_all(setup)
        setup.dispose()
    yield fresh_url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def isolated_database_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A database of its own, schema created, for tests whose code commits for real or runs other processes.

    PostgreSQL: a fresh database next to the test database, dropped afterwards. SQLite: a new file.
    """
    yield from _fresh_database(tmp_path, database_url, create_schema=True)


@pytest.fixture
def empty_database_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    """Like `isolated_database_url`, without any table: for migration tests."""
    yield from _fresh_database(tmp_path, database_url, create_schema=False)
