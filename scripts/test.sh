#!/usr/bin/env bash
# The whole test suite: lint, types, architecture contracts, then pytest on SQLite and on PostgreSQL.
# PostgreSQL: NTM_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/ntm_test).
# Without a reachable server the PostgreSQL pass is skipped with a notice, unless NTM_REQUIRE_POSTGRES=1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff";        ruff check . && ruff format --check .
echo "== mypy";        mypy
echo "== import-linter"; lint-imports

echo "== pytest on SQLite"
env -u NTM_TEST_DATABASE_URL pytest -q "$@"

PG_URL=${NTM_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/ntm_test}
if python - "$PG_URL" <<'PY'
import sys
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
url = make_url(sys.argv[1])
try:
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("select 1 from pg_database where datname = :n"), {"n": url.database}).scalar():
            conn.execute(text(f'create database "{url.database}"'))
except Exception as exc:  # noqa: BLE001 - any failure means: no server to test against
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== pytest on PostgreSQL ($PG_URL)"
  NTM_TEST_DATABASE_URL="$PG_URL" pytest -q "$@"
elif [ "${NTM_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required (NTM_REQUIRE_POSTGRES=1) but not reachable" >&2
  exit 1
else
  echo "== PostgreSQL pass skipped: no server at $PG_URL (set NTM_TEST_POSTGRES_URL)"
fi
