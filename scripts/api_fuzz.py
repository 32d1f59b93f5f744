"""Schemathesis against the live OpenAPI document: every operation, a bounded number of examples, as a
commune officer whose calls are partly aimed at other communes' dossiers (tests/api/schemathesis_hooks.py).

    .venv/bin/python scripts/api_fuzz.py [DATABASE_URL]

Builds a fresh database (a SQLite file, or a new PostgreSQL database next to DATABASE_URL), loads the demo
with its 2025 dossiers, makes a token, serves the app with gunicorn on a free port, runs schemathesis and
fails on any 5xx, any answer that breaks its schema, and any dossier shown across units.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "no_cross_unit_data",
    )
)
MAX_EXAMPLES = os.environ.get("NTM_FUZZ_EXAMPLES", "12")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(url: str | None, folder: Path) -> tuple[str, str | None]:
    """(URL of an empty database, the PostgreSQL database to drop afterwards)."""
    if not url or not url.startswith("postgresql"):
        return f"sqlite:///{folder / 'fuzz.sqlite3'}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_fuzz_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def drop(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


SETUP = """
import datetime as dt, sys
from sqlalchemy import select
from dossiers import tokens
from dossiers.models import Dossier, RoleAssignment, Unit, User
from web import create_app
from web.session import session_scope
from workflow.vocabulary import Role

app = create_app()
with app.app_context(), session_scope() as session:
    dossiers = session.scalars(select(Dossier).order_by(Dossier.id)).all()
    units_with_dossiers = {d.unit_id for d in dossiers}
    # a commune officer (found by role) of a commune that has a dossier
    officer, commune_id = next(
        (a.user, a.unit_id)
        for a in session.scalars(
            select(RoleAssignment).where(RoleAssignment.role == Role.UNIT_OFFICER).order_by(RoleAssignment.id)
        )
        # a unit still in force: a merged-away commune's officer acts on nothing after the reorganisation
        if a.unit_id in units_with_dossiers and a.user.active and a.unit.valid_to is None
    )
    own = {commune_id}
    frontier = [commune_id]
    while frontier:
        frontier = list(session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
        own.update(frontier)
    foreign = [d.id for d in dossiers if d.unit_id not in own]
    secret = tokens.issue_token(session, None, officer, dt.datetime.now(dt.UTC), name="schemathesis", days=1).secret
    print(secret, ",".join(map(str, sorted(own))), ",".join(map(str, foreign)), officer.username)
"""


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ntm-fuzz-") as tmp:
        folder = Path(tmp)
        url, created = fresh_database(sys.argv[1] if len(sys.argv) > 1 else None, folder)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "NTM_INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "NTM_ENV": "production",
            "NTM_API_RATE_LIMIT": "1000000 per minute",
            "PYTHONPATH": str(ROOT),
        }
        server = None
        try:
            subprocess.run([BIN / "ntm", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
            subprocess.run([BIN / "ntm", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
            made = subprocess.run(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True, text=True
            )
            secret, own, foreign, username = made.stdout.split()[-4:]
            print(f"schemathesis as {username} (units {own}); other communes' dossiers: {foreign}", flush=True)
            port = free_port()
            server = subprocess.Popen(  # noqa: S603
                [
                    BIN / "gunicorn",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--log-level",
                    "warning",
                    "wsgi:app",
                ],
                env=env,
                cwd=ROOT,
            )
            schema_url = f"http://127.0.0.1:{port}/api/openapi.json"
            for _ in range(100):
                try:
                    urllib.request.urlopen(schema_url, timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            fuzz_env = {**env, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks"}
            fuzz_env.update(NTM_FUZZ_OWN_UNITS=own, NTM_FUZZ_FOREIGN_DOSSIERS=foreign)
            result = subprocess.run(  # noqa: S603
                [
                    BIN / "schemathesis",
                    "run",
                    schema_url,
                    "--header",
                    f"Authorization: Bearer {secret}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    MAX_EXAMPLES,
                    "--phases",
                    "examples,coverage,fuzzing,stateful",
                    "--max-time",
                    os.environ.get("NTM_FUZZ_MAX_TIME", "90"),
                    # one worker: with several threads, hypothesis describing schemathesis' filters runs
                    # ast.parse concurrently, which CPython 3.11.7 fails ("AST constructor recursion depth
                    # mismatch"), an error of the fuzzer's that would fail the run
                    "--workers",
                    "1",
                    "--seed",
                    os.environ.get("NTM_FUZZ_SEED", "2025"),
                    "--generation-database",
                    "none",
                    "--no-color",
                ],
                env=fuzz_env,
                cwd=folder,  # its cache stays in the temporary folder, not in the checkout
            )
            return result.returncode
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            if created is not None:
                drop(url, created)


if __name__ == "__main__":
    sys.exit(main())
