#!/usr/bin/env bash
# Set up, load the demo into the embedded SQLite database, and serve it through gunicorn with the
# scheduler beside it (its own process). Stop both with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NTM_INSTANCE_PATH=${NTM_INSTANCE_PATH:-$PWD/instance}
mkdir -p "$NTM_INSTANCE_PATH"
# a random key, made once per instance folder and kept there (owner-only): sessions survive restarts,
# and no two installations share a key
KEY_FILE="$NTM_INSTANCE_PATH/secret_key"
if [ ! -s "$KEY_FILE" ]; then
  (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > "$KEY_FILE")
fi
SECRET_KEY=$(cat "$KEY_FILE")
export SECRET_KEY
.venv/bin/ntm db upgrade
.venv/bin/ntm demo
.venv/bin/ntm scheduler &
SCHEDULER_PID=$!
trap 'kill $SCHEDULER_PID 2>/dev/null || true' EXIT INT TERM
# one worker: the sign-in limits are counted in memory (NTM_RATELIMIT_STORAGE_URI for several workers)
.venv/bin/gunicorn --bind "${HOST:-127.0.0.1}:${PORT:-5000}" --workers 1 --threads "${THREADS:-4}" \
  --access-logfile - wsgi:app
