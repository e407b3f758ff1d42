# syntax=docker/dockerfile:1
# One image for every application service of docker-compose.yml: web (the default CMD), Celery workers and beat.

# --- Map libraries and basemap (frontend/dist, served as static files) ---------------------------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- Application -----------------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# GeoDjango loads libgdal.so.32 and libgeos_c.so.1 through ctypes: the runtime libraries are enough (no gdal-bin, no
# -dev packages). SpatiaLite keeps the embedded default usable in the image (the official Python is built with
# loadable SQLite extensions).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgdal32 libsqlite3-mod-spatialite \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 rs \
    && useradd --system --uid 10001 --gid rs --home-dir /app --no-create-home --shell /usr/sbin/nologin rs

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
COPY --from=frontend /build/frontend/dist ./frontend/dist

# Fail the build, not the first request, when a native library is missing.
RUN python -c "from django.contrib.gis import gdal, geos; print(gdal.gdal_full_version(), geos.geos_version())" \
    && python -c "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True)"

# collectstatic needs settings, and settings refuse to load without a SECRET_KEY: a throw-away value for this one
# command only (it never reaches the image's environment). The runtime key comes from the deployment.
RUN SECRET_KEY=collectstatic-at-build-time-only-not-a-secret python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/rs /run/prometheus \
    && chown -R rs:rs /app/var /var/lib/rs /run/prometheus

# Prometheus multiprocess mode: every process of a container (gunicorn's workers, a Celery worker's pool) writes its
# metrics here and /metrics sums them. It must be empty when the container starts: compose mounts a tmpfs on it
# (with `docker run`: --tmpfs /run/prometheus:uid=10001,gid=10001,mode=0700).
ENV PROMETHEUS_MULTIPROC_DIR=/run/prometheus

USER 10001:10001
EXPOSE 8000

# --limit-request-line 0: long OData URLs (detailed footprints) exceed gunicorn's default; the application caps them.
# rs.monitoring.gunicorn_config: a gunicorn worker that exits stops counting in the live gauges of /metrics.
CMD ["gunicorn", "rs.wsgi:application", "-c", "python:rs.monitoring.gunicorn_config", "--bind", "0.0.0.0:8000", "--workers", "4", "--limit-request-line", "0", "--access-logfile", "-", "--logger-class", "rs.access.gunicorn_logging.RedactingLogger"]
