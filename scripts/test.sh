#!/usr/bin/env bash
# The whole suite against real services: PostgreSQL + PostGIS, Redis, SeaweedFS S3, real Celery workers, Chromium.
# Gates first (ruff, mypy, migrations), then pytest. Arguments are passed to pytest (e.g. `scripts/test.sh -k s3`).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m[test]\033[0m %s\n' "$*"; }

scripts/services.sh start
trap 'scripts/services.sh stop' EXIT
set -a
# shellcheck disable=SC1091
. var/services.env
set +a
# A bucket per run: nothing left by an earlier run can satisfy a test.
export RS_S3_BUCKET="rs-test-$(date +%Y%m%d%H%M%S)-$$"

log "ruff"
.venv/bin/ruff check --quiet .
log "mypy rs/"
.venv/bin/mypy rs
log "migrations are up to date"
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null || {
  echo "models and migrations differ: run 'python manage.py makemigrations'" >&2; exit 1; }
log "static files"
.venv/bin/python manage.py collectstatic --noinput -v0
log "pytest"
set +e
.venv/bin/pytest "$@"
status=$?
set -e
if [ $status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit $status
