#!/usr/bin/env bash
# The whole system on the embedded default: SpatiaLite + filesystem object storage + filesystem Celery broker, all
# under ./var/. One process tree (web, worker, beat); Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m[run]\033[0m %s\n' "$*"; }
PY=.venv/bin/python
PORT=${RS_PORT:-8000}

mkdir -p var/celery/queue var/celery/processed var/celery/results var/storage var/cache var/log
log "migrating the database (var/rs.sqlite3)"
$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py storage ensure-bucket

if [ ! -f var/admin-password ]; then
  $PY -c 'import secrets; print(secrets.token_urlsafe(12))' > var/admin-password
fi
ADMIN_PASSWORD=$(cat var/admin-password)
if ! $PY manage.py shell -c "from django.contrib.auth import get_user_model as g; import sys; sys.exit(0 if g().objects.filter(username='admin').exists() else 1)"; then
  DJANGO_SUPERUSER_PASSWORD=$ADMIN_PASSWORD $PY manage.py createsuperuser --noinput --username admin --email admin@localhost -v0
fi
# The demo chains (simulated processors and their rules) before the demo inputs arrive, so they trigger them.
$PY manage.py production demo-setup
# Demo products of the three missions (sessions, L0, aux, user products) go through a directory inbox: beat polls
# it and the worker ingests them within about a minute. Generating again only adds what a newer demo has.
$PY manage.py demo generate var/demo-inbox
$PY manage.py demo inbox var/demo-inbox

# Prometheus multiprocess mode: every process writes its metrics here, /metrics sums them; stale files would count
export PROMETHEUS_MULTIPROC_DIR=$PWD/var/prometheus
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

pids=()
stop() {
  trap - INT TERM EXIT
  log "stopping"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  log "stopped"
}
trap stop INT TERM EXIT

QUEUES=$($PY -c "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','rs.settings'); django.setup(); from django.conf import settings; print(','.join(settings.RS_QUEUES))")
.venv/bin/celery -A rs worker -Q "$QUEUES" --concurrency 2 --hostname "embedded@%h" --loglevel INFO \
  > var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A rs beat --schedule var/celerybeat-schedule --loglevel INFO > var/log/beat.log 2>&1 &
pids+=($!)
.venv/bin/gunicorn rs.wsgi:application -c python:rs.monitoring.gunicorn_config --bind "127.0.0.1:$PORT" \
  --workers 2 --threads 4 \
  --limit-request-line 0 --access-logfile - --error-logfile - --logger-class rs.access.gunicorn_logging.RedactingLogger &
pids+=($!)

cat <<TXT

  Copernicus Reference System (embedded default) on http://127.0.0.1:$PORT/
    web page   http://127.0.0.1:$PORT/
    admin      http://127.0.0.1:$PORT/admin/    user: admin   password: $ADMIN_PASSWORD
    API        http://127.0.0.1:$PORT/api/v1/   schema: /api/v1/schema/
  Worker and beat logs: var/log/worker.log, var/log/beat.log.  Ctrl-C stops everything.

TXT
wait -n "${pids[@]}"
log "a process of the system exited; stopping the others"
