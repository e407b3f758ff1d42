#!/usr/bin/env bash
# Installs whatever is missing for both runtimes; idempotent and quick on a second run.
#   system packages (Debian/Ubuntu) → .venv from Debian's python3 → pip packages → frontend build → .env
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  cat >&2 <<'TXT'
This set-up installs its system packages with apt (Debian 12 / Ubuntu). On another distribution install these by
hand, then run the command again with RS_SKIP_APT=1:
  Python 3.11+ with venv and SQLite extension loading, GDAL, GEOS, PROJ, SpatiaLite (mod_spatialite),
  PostgreSQL 15+ with PostGIS 3 (the commands initdb, pg_ctl, psql, pg_isready), Redis 7 (redis-server, redis-cli),
  Chromium, Node.js 18+ with npm; sudo when a user other than root runs scripts/services.sh (it sets up the
  PostgreSQL role as the postgres user).
TXT
  [ "${RS_SKIP_APT:-}" = 1 ] || exit 1
fi

# --- system packages ------------------------------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
# apt needs root: as another user, sudo (checked only when something is to be installed)
need_root() {
  [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1 && return 0
  echo "Installing $* needs root: run this as root, install sudo, or install them yourself and set RS_SKIP_APT=1." >&2
  exit 1
}
# the newest PostgreSQL whose server is installed (postgresql-client alone also creates /usr/lib/postgresql/<major>)
pg_major() { ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | cut -d/ -f5 | sort -n | tail -1; }
wanted=(python3-venv libsqlite3-mod-spatialite redis-server chromium)
if [ "${RS_SKIP_APT:-}" != 1 ]; then
  missing=()
  apt_updated=0
  apt_update() { [ $apt_updated = 1 ] || { $SUDO apt-get update -o DPkg::Lock::Timeout=600 -qq; apt_updated=1; }; }
  gdal=$(dpkg-query -W -f='${Package}\n' 'libgdal[0-9]*' 2>/dev/null | grep -E '^libgdal[0-9]+$' | head -1 || true)
  if [ -z "$gdal" ]; then
    need_root "GDAL"
    apt_update
    gdal=$(apt-cache search --names-only '^libgdal[0-9]+$' | awk '{print $1}' | sort -V | tail -1)
    missing+=("$gdal")
  fi
  for pkg in "${wanted[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if ! command -v pg_ctl >/dev/null 2>&1 && [ -z "$(pg_major)" ]; then missing+=(postgresql); fi
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    need_root "${missing[*]}"
    log "installing system packages: ${missing[*]}"
    apt_update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
  fi
  major=$(pg_major)
  if ! dpkg -s "postgresql-$major-postgis-3" >/dev/null 2>&1; then
    need_root "postgresql-$major-postgis-3"
    log "installing PostGIS for PostgreSQL $major"
    apt_update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "postgresql-$major-postgis-3"
  fi
fi

# --- Python ---------------------------------------------------------------------------------------------------------
# Debian's interpreter: a pyenv-built one cannot load SQLite extensions, which SpatiaLite needs.
PY=${RS_PYTHON:-/usr/bin/python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv from $PY"
  "$PY" -m venv .venv
  .venv/bin/pip install -q -U pip
fi
if ! .venv/bin/python -c "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True)" 2>/dev/null; then
  echo "The Python of .venv cannot load SQLite extensions (SpatiaLite needs it). Remove .venv and run again with" >&2
  echo "Debian's /usr/bin/python3 (or set RS_PYTHON to an interpreter built with extension loading)." >&2
  exit 1
fi
req_hash=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha 2>/dev/null)" != "$req_hash" ]; then
  log "installing Python packages"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$req_hash" > .venv/.requirements.sha
fi

# --- frontend -------------------------------------------------------------------------------------------------------
if [ -f frontend/package.json ]; then
  fe_hash=$(cat frontend/package.json frontend/package-lock.json frontend/build.mjs $(find frontend/src -type f | sort) 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ "$(cat frontend/dist/.build.sha 2>/dev/null)" != "$fe_hash" ] || [ ! -d frontend/node_modules ]; then
    log "building the frontend"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
    echo "$fe_hash" > frontend/dist/.build.sha
  fi
fi

# --- local configuration --------------------------------------------------------------------------------------------
mkdir -p var/celery/queue var/celery/processed var/celery/results var/storage var/cache
if [ ! -f .env ] || ! grep -q '^SECRET_KEY=' .env; then
  log "writing a generated SECRET_KEY to .env"
  printf 'SECRET_KEY=%s\n' "$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')" >> .env
fi
log "ready ($ROOT)"
