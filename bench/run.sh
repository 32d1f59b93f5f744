#!/usr/bin/env bash
# The benchmark (see bench/README.md): datasets at 100, 1,000 and 3,321 communes, "Việc của tôi" and the
# dossier page, the engine at 1 and 8 connections, and the anchors of ../shared/bench beside it.
# PostgreSQL: NTM_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/ntm_bench, created
# if missing). Extra arguments go to `python -m bench.main` (e.g. --sizes 100 --seconds 5 for a quick try).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh

# the anchors' own virtualenv, outside the repository, made once
SHARED=${NTM_SHARED_BENCH:-$PWD/../shared/bench}
VENV="${TMPDIR:-/tmp}/ntm-bench-venv"
ANCHORS=()
if [ -f "$SHARED/pg_limit.py" ] && [ -f "$SHARED/spiff_peer.py" ]; then
  if ! "$VENV/bin/python" -c 'import psycopg, SpiffWorkflow' 2>/dev/null; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install --quiet 'psycopg[binary]' 'spiffworkflow>=3,<4' \
      || echo "could not make the anchors' virtualenv $VENV: they are skipped" >&2
  fi
  if "$VENV/bin/python" -c 'import psycopg, SpiffWorkflow' 2>/dev/null; then
    export NTM_SHARED_BENCH="$SHARED"
    ANCHORS=(--anchor-python "$VENV/bin/python")
  fi
else
  echo "anchors not found in $SHARED (set NTM_SHARED_BENCH): they are skipped" >&2
fi
exec .venv/bin/python -m bench.main "${ANCHORS[@]}" "$@"
