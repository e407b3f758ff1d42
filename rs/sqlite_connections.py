"""The embedded default's SQLite connections keep the busy timeout the settings ask for.

Django passes OPTIONS["timeout"] to sqlite3.connect, but GeoDjango then loads mod_spatialite, whose initialisation
sets the busy timeout to 5 s: under load a writer waiting for web, worker or beat failed with "database is locked"
after 5 s instead of the configured wait. The PRAGMA is set again once the connection is complete.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


def _busy_timeout_restore(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    timeout_s = connection.settings_dict.get("OPTIONS", {}).get("timeout")
    if timeout_s:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(float(timeout_s) * 1000)}")


def busy_timeout_keep() -> None:
    connection_created.connect(_busy_timeout_restore, dispatch_uid="rs-sqlite-busy-timeout")
