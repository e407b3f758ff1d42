#!/usr/bin/env bash
# The whole system on the embedded default: SpatiaLite + filesystem object storage + filesystem Celery broker, all
# under ./var/. One process tree (web, worker, beat); Ctrl-C stops everything. Run after scripts/setup.sh (`make run`
# does both).
#   RS_VAR_DIR  the folder of database, broker, storage, cache, logs, admin password (default ./var)
#   RS_PORT     the web port on 127.0.0.1 (default 8000)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m[run]\033[0m %s\n' "$*" || true; }  # never fails: it also runs once the terminal is gone
PY=.venv/bin/python
PORT=${RS_PORT:-8000}
# as the settings read it (the environment, else .env, else ./var): the script's folders are the processes' folders
RS_VAR_DIR=$($PY -c "from rs.settings import VAR_DIR; print(VAR_DIR)")
export RS_VAR_DIR
VAR=$RS_VAR_DIR
STOP_GRACE_S=30  # a worker finishes its running tasks first; what is still running then is killed (and retried)

mkdir -p "$VAR"/celery/queue "$VAR"/celery/processed "$VAR"/celery/results "$VAR"/storage "$VAR"/cache "$VAR"/log
log "migrating the database"
$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py storage ensure-bucket
ADMIN=$($PY manage.py access local-admin "$VAR/admin-password")
# The demo only on an empty catalog: the chains (simulated processors and their rules) and the demo products of the
# three missions in a directory inbox, which beat polls and the worker ingests within about a minute. A catalog in
# use gets nothing, and demo rules an operator edited stay as they are.
$PY manage.py demo load "$VAR/demo-inbox" --if-empty

# Prometheus multiprocess mode: every process writes its metrics here, /metrics sums them; stale files would count
export PROMETHEUS_MULTIPROC_DIR=$VAR/prometheus
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
QUEUES=$($PY -c "from rs.settings import RS_QUEUES; print(','.join(RS_QUEUES))")  # the settings alone: no app loading

# Each process leads its own process group (job control): Ctrl-C (or a closed terminal) reaches only this script,
# which stops them in order, and what is left of a group after the grace period is killed with it.
set -m
pids=()
stopping=0
stopped=0
forced=0
stop() {
  [ $stopped = 1 ] && return
  if [ $stopping = 0 ]; then
    stopping=1
    # a second Ctrl-C (or TERM, HUP) during the grace period kills at once instead of leaving the groups behind
    trap 'forced=1' INT TERM HUP
    log "stopping (Ctrl-C again to kill at once)"
    # the leaders only: gunicorn's master and the worker's main process stop their children themselves, the worker
    # after its running tasks (warm shutdown)
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq $((STOP_GRACE_S * 10))); do
      [ $forced = 1 ] && break
      alive=0
      for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break
      sleep 0.1
    done
  fi
  # also reached from the EXIT trap when the script ends in the middle of a stop: nothing outlives it
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stopped=1
  log "stopped"
}
trap 'stop; exit 0' INT TERM HUP
trap stop EXIT

.venv/bin/celery -A rs worker -Q "$QUEUES" --concurrency 2 --hostname "embedded@%h" --loglevel INFO \
  > "$VAR/log/worker.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A rs beat --schedule "$VAR/celerybeat-schedule" --loglevel INFO > "$VAR/log/beat.log" 2>&1 &
pids+=($!)
.venv/bin/gunicorn rs.wsgi:application -c python:rs.monitoring.gunicorn_config --bind "127.0.0.1:$PORT" \
  --workers 2 --threads 4 \
  --limit-request-line 0 --access-logfile - --error-logfile - --logger-class rs.access.gunicorn_logging.RedactingLogger &
pids+=($!)

cat <<TXT

  Copernicus Reference System (embedded default) on http://127.0.0.1:$PORT/
    web page   http://127.0.0.1:$PORT/
    admin      http://127.0.0.1:$PORT/admin/    user: admin   $ADMIN
    API        http://127.0.0.1:$PORT/api/v1/   schema: /api/v1/schema/
  Worker and beat logs: $VAR/log/worker.log, $VAR/log/beat.log.  Ctrl-C stops everything.

TXT
set +e
wait -n "${pids[@]}"
status=$?
set -e
log "a process of the system exited (status $status); stopping the others"
stop
exit 1
