"""One SQLAlchemy session per request; views commit once at the end, anything else is rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from web.extensions import Database


def database(app: Flask | None = None) -> Database:
    db: Database = (app or current_app).extensions["ntm_database"]
    return db


def request_session() -> Session:
    """The session of the current request (opened on first use)."""
    if "db_session" not in g:
        g.db_session = database().session_factory()
    session: Session = g.db_session
    return session


def close_request_session(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A unit of work for the CLI and jobs: commit on success, roll back on error."""
    session = database(app).session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
