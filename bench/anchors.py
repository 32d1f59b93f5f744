"""Part (b): the anchors of `../shared/bench` (pg_limit.py, spiff_peer.py), run as subprocesses.

They are never copied here: they live beside the repository (`$NTM_SHARED_BENCH`, else
`<repo>/../shared/bench`) and run in their own virtualenv (psycopg and SpiffWorkflow; `bench/run.sh`
makes it). Each drops and rebuilds only its own schema of the benchmark database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent


def shared_bench() -> Path:
    return Path(os.environ.get("NTM_SHARED_BENCH") or REPO.parent / "shared" / "bench")


def dsn_from_url(url: str) -> str:
    """The libpq connection string of a SQLAlchemy URL (`host=127.0.0.1 user=postgres dbname=ntm_bench`)."""
    parsed = make_url(url)
    parts = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


@dataclass
class AnchorResult:
    name: str
    #: connections (pg_limit) or workers (spiff_peer) → actions/s
    rates: dict[int, float]
    summary: str
    ok: bool
    details: dict[str, Any]


def run_anchor(
    python: str, script: str, dsn: str, k: int, seconds: float, extra: list[str] | None = None, timeout: float = 300
) -> AnchorResult:
    command = [python, str(shared_bench() / script), "--dsn", dsn, "-k", str(k), "--seconds", f"{seconds:g}", "--json"]
    done = subprocess.run(  # noqa: S603 - our own interpreter and the shared anchor scripts
        [*command, *(extra or [])], capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = done.stdout.splitlines()
    found = next((json.loads(line) for line in reversed(lines) if line.startswith("{")), None)
    summary = next((line for line in reversed(lines) if line.startswith(("pg_limit:", "spiff_peer:"))), "")
    if found is None:
        sys.stderr.write(done.stdout + done.stderr)
        return AnchorResult(script, {}, summary or f"{script} failed (exit {done.returncode})", False, {})
    if found["name"] == "pg_limit":
        rates = {int(r["connections"]): float(r["rate"]) for r in found["results"]}
    else:
        rates = {int(r["workers"]): float(r["rate"]) for r in found["db"] if not r.get("stateless")}
    return AnchorResult(found["name"], rates, summary, bool(found.get("ok")) and done.returncode == 0, found)
