"""What the production benchmarks share: a benchmark database of its own on DATABASE_URL's server, made afresh."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def database_url(name: str) -> str:
    """DATABASE_URL's server and role with the benchmark's own database `name`, set in the environment (so neither
    the test nor the working database is ever touched), with the project importable."""
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if parts.scheme not in {"postgis", "postgres", "postgresql"}:
        sys.exit("DATABASE_URL must be a postgis:// URL (source your env file first)")
    url = urlunsplit(parts._replace(path="/" + name))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")
    sys.path.insert(0, str(ROOT))
    return url


def database_recreate(url: str) -> None:
    """Drop the database of `url` (closing its sessions), create it empty and migrate it."""
    import psycopg2  # type: ignore[import-untyped]

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                                  password=parts.password, dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ.copy())
