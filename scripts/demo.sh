#!/usr/bin/env bash
# Set up, load the demo into the embedded SQLite database, and run the web server with the
# scheduler beside it (its own process). Stop both with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NTM_INSTANCE_PATH=${NTM_INSTANCE_PATH:-$PWD/instance}
.venv/bin/ntm db upgrade
.venv/bin/ntm demo
.venv/bin/ntm scheduler &
SCHEDULER_PID=$!
trap 'kill $SCHEDULER_PID 2>/dev/null || true' EXIT INT TERM
.venv/bin/ntm run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
