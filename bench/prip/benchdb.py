"""What the PRIP benchmark runners share: the benchmark database's URL, SQL on it, and the machine's description."""

from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data"
PYTHON = ROOT / ".venv" / "bin" / "python"


def bench_url(name: str) -> str:
    """DATABASE_URL's server and role with the benchmark database's name (never the test or working database)."""
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if parts.scheme not in {"postgis", "postgres", "postgresql"}:
        sys.exit("DATABASE_URL must be a postgis:// URL (source your env file first): the benchmark needs PostgreSQL")
    if not re.fullmatch(r"rs_bench(_prip\w*|_query)?", name):  # other benchmarks own rs_bench_<area>
        sys.exit(f"--database {name!r}: the PRIP benchmark database is rs_bench, rs_bench_query or rs_bench_prip…")
    return urlunsplit(parts._replace(path="/" + name))


def connect(url: str, database: str | None = None) -> Any:
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                                  password=parts.password, dbname=database or parts.path.lstrip("/"))
    connection.autocommit = True
    return connection


def query(url: str, sql: str, params: tuple[object, ...] = (), database: str | None = None) -> list[tuple[Any, ...]]:
    connection = connect(url, database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    return f"{os.cpu_count()} x {cpu}, {memory_kb / 1024 / 1024:.0f} GiB RAM, {platform.platform()}"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def server_description(url: str) -> str:
    version = query(url, "SHOW server_version")[0][0]
    settings = query(url, "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', "
                          "'work_mem', 'effective_cache_size', 'max_wal_size', 'synchronous_commit', "
                          "'random_page_cost', 'jit') ORDER BY 1")
    return f"PostgreSQL {version} (" + ", ".join(f"{name}={value}" for name, value in settings) + ")"
