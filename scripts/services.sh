#!/usr/bin/env bash
# Starts (or stops) the services of the full deployment for tests and benchmarks, on loopback only:
#   PostgreSQL + PostGIS  — the server already on 127.0.0.1:5432 when there is one, else a private cluster in var/pg
#   Redis                 — the server already on 127.0.0.1:6379 when there is one, else a private one in var/redis
#   S3 (SeaweedFS)        — always a private `weed mini` in var/s3, with access keys
# `start` writes var/services.env (the environment for the suite); `stop` stops only what this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VAR=$ROOT/var
ENV_FILE=$VAR/services.env
mkdir -p "$VAR"
log() { printf '\033[1m[services]\033[0m %s\n' "$*"; }

PG_PRIVATE_PORT=${RS_PG_PRIVATE_PORT:-54329}
REDIS_PRIVATE_PORT=${RS_REDIS_PRIVATE_PORT:-63799}
S3_PORT=${RS_S3_PORT:-18333}
S3_ACCESS=rs-access
S3_SECRET=rs-secret-key-for-local-tests
DB_NAME=rs
DB_USER=rs
DB_PASSWORD=rs-local-password

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
pg_bin() { echo "/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -1)/bin"; }

start_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    PG_PORT=5432
    # Create our role and database through the local socket (Debian's loopback auth wants a password).
    local sql="DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$DB_USER') THEN
               CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASSWORD'; END IF; END\$\$;"
    if ! PGPASSWORD=$DB_PASSWORD psql -qAt -h 127.0.0.1 -p 5432 -U $DB_USER -d postgres -c 'select 1' >/dev/null 2>&1; then
      if ! as_postgres "psql -qAt -d postgres -c \"$sql\"" >/dev/null 2>&1; then
        psql -qAt -h 127.0.0.1 -p 5432 -U postgres -d postgres -c "$sql" >/dev/null
      fi
    fi
    log "PostgreSQL: using the server on 127.0.0.1:5432"
  else
    PG_PORT=$PG_PRIVATE_PORT
    local data=$VAR/pg
    if [ ! -f "$data/PG_VERSION" ]; then
      log "PostgreSQL: initialising a private cluster in var/pg"
      mkdir -p "$data"; [ "$(id -u)" = 0 ] && chown postgres "$data" "$VAR"
      as_postgres "$(pg_bin)/initdb -D $data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
      as_postgres "$(pg_bin)/pg_ctl -D $data -l $VAR/pg.log -o \"-p $PG_PORT -k $VAR -c listen_addresses=127.0.0.1\" -w start" >/dev/null
      touch "$VAR/pg.started-by-us"
    fi
    psql -qAt -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c \
      "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$DB_USER') THEN
       CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASSWORD'; END IF; END\$\$;" >/dev/null
    log "PostgreSQL: private cluster on 127.0.0.1:$PG_PORT"
  fi
  export PGPASSWORD=$DB_PASSWORD
  if [ -z "$(psql -qAt -h 127.0.0.1 -p "$PG_PORT" -U $DB_USER -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" ]; then
    psql -qAt -h 127.0.0.1 -p "$PG_PORT" -U $DB_USER -d postgres -c "CREATE DATABASE $DB_NAME" >/dev/null
  fi
  psql -qAt -h 127.0.0.1 -p "$PG_PORT" -U $DB_USER -d $DB_NAME -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null 2>&1
}

start_redis() {
  if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
    REDIS_PORT=6379
    log "Redis: using the server on 127.0.0.1:6379"
  else
    REDIS_PORT=$REDIS_PRIVATE_PORT
    if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" != PONG ]; then
      mkdir -p "$VAR/redis"
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$VAR/redis" \
        --pidfile "$VAR/redis.pid" --logfile "$VAR/redis.log" --save '' --appendonly no
      for _ in $(seq 50); do [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
      touch "$VAR/redis.started-by-us"
    fi
    log "Redis: private server on 127.0.0.1:$REDIS_PORT"
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
s3_ready() { curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" 2>/dev/null; }
start_s3() {
  local dir=$VAR/s3
  mkdir -p "$dir/data"
  cat > "$dir/identities.json" <<JSON
{"identities": [{"name": "rs", "credentials": [{"accessKey": "$S3_ACCESS", "secretKey": "$S3_SECRET"}],
                 "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
  if ! s3_ready; then
    # A SeaweedFS stopped just before may hold its ports for a moment more: wait for them rather than fail.
    for _ in $(seq 100); do port_free 19333 && port_free 18888 && port_free "$S3_PORT" && break; sleep 0.1; done
    # Every port and socket is set so that several instances can share a machine; never export WEED_* variables.
    nohup "$ROOT/.venv/bin/weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -master.port=19333 -volume.port=19340 -filer.port=18888 -s3.port="$S3_PORT" \
      -admin.port=23699 -s3.config="$dir/identities.json" -s3.port.iceberg=0 -s3.port.lance=0 \
      -webdav=false -admin.ui=false -master.volumeSizeLimitMB=1024 \
      -filer.localSocket="$dir/filer.sock" -s3.localSocket="$dir/s3.sock" > "$dir/weed.log" 2>&1 &
    echo $! > "$dir/weed.pid"
    for _ in $(seq 300); do s3_ready && break; sleep 0.1; done
    s3_ready || { echo "SeaweedFS did not start; see var/s3/weed.log" >&2; tail -20 "$dir/weed.log" >&2; exit 1; }
  fi
  log "S3: SeaweedFS on 127.0.0.1:$S3_PORT"
}

write_env() {
  cat > "$ENV_FILE" <<ENV
DATABASE_URL=postgis://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME
CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/7
CELERY_RESULT_BACKEND=redis://127.0.0.1:$REDIS_PORT/8
CACHE_URL=rediscache://127.0.0.1:$REDIS_PORT/9
RS_STORAGE=s3
RS_S3_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
RS_S3_ACCESS_KEY=$S3_ACCESS
RS_S3_SECRET_KEY=$S3_SECRET
RS_S3_BUCKET=rs-test
RS_S3_REGION=us-east-1
ENV
}

stop_all() {
  if [ -f "$VAR/s3/weed.pid" ]; then
    pid=$(cat "$VAR/s3/weed.pid"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true; rm -f "$VAR/s3/weed.pid"
    # test data only: SeaweedFS frees deleted space lazily, so drop its volumes instead of letting them grow
    rm -rf "$VAR/s3/data"
  fi
  if [ -f "$VAR/redis.started-by-us" ]; then
    redis-cli -p "$REDIS_PRIVATE_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -f "$VAR/redis.started-by-us"
  fi
  if [ -f "$VAR/pg.started-by-us" ]; then
    as_postgres "$(pg_bin)/pg_ctl -D $VAR/pg -m fast stop" >/dev/null 2>&1 || true; rm -f "$VAR/pg.started-by-us"
  fi
  log "stopped"
}

case "${1:-}" in
  start) start_postgres; start_redis; start_s3; write_env; log "environment in var/services.env" ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
