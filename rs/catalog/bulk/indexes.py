"""Indexes set aside during a large load and rebuilt once at its end (`catalog load --defer-indexes`, PostgreSQL).

Maintaining ~20 btree/GiST/trigram indexes row by row costs most of a load's PostgreSQL time (26 attribute rows a
product, each entering six indexes in random order, and one deferred foreign-key check each); building each index
once from the finished table is a sort. Kept throughout: the primary keys and the product's unique (scope, name),
which report duplicates by line, and the check constraints. Set aside: every other index of the product and
attribute tables, the attribute table's unique (product, name) (the loader writes one row per name of a product, and
product ids are unique) and its foreign key to the product, added back NOT VALID then validated in one pass.

Only for a catalogue out of service (a migration, a benchmark): searches run without the indexes meanwhile, and
the tables are locked while the indexes are built. Whatever the load's outcome, everything set aside is restored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

from rs.catalog.models import Product, ProductAttribute


@dataclass(frozen=True)
class _SetAside:
    table: str
    name: str
    restore: tuple[str, ...]  # SQL statements that bring it back


@dataclass
class RebuildTiming:
    seconds: float = 0.0


def _set_aside(cursor: object) -> list[_SetAside]:
    product, attribute = Product._meta.db_table, ProductAttribute._meta.db_table
    found: list[_SetAside] = []
    cursor.execute(  # type: ignore[attr-defined]
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c
           WHERE c.conrelid = %s::regclass AND c.contype IN ('f', 'u')
           ORDER BY c.conname""", [attribute])
    for table, name, definition in cursor.fetchall():  # type: ignore[attr-defined]
        quoted = connection.ops.quote_name(name)
        restore: tuple[str, ...]
        if definition.startswith("FOREIGN KEY"):
            restore = (f"ALTER TABLE {table} ADD CONSTRAINT {quoted} {definition} NOT VALID",
                       f"ALTER TABLE {table} VALIDATE CONSTRAINT {quoted}")
        else:
            restore = (f"ALTER TABLE {table} ADD CONSTRAINT {quoted} {definition}",)
        found.append(_SetAside(table, name, restore))
    cursor.execute(  # type: ignore[attr-defined]
        """SELECT i.indrelid::regclass::text, c.relname, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid IN (%s::regclass, %s::regclass)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
           ORDER BY c.relname""", [product, attribute])
    rows = cursor.fetchall()  # type: ignore[attr-defined]
    found += [_SetAside(table, name, (definition,)) for table, name, definition in rows]
    return found


@contextmanager
def indexes_deferred(timing: RebuildTiming) -> Iterator[None]:
    """Drop the indexes and constraints above, run the body, then rebuild them (also when the body fails)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        aside = _set_aside(cursor)
        for item in aside:
            if item.restore[0].startswith("ALTER TABLE"):
                cursor.execute(f"ALTER TABLE {item.table} DROP CONSTRAINT {connection.ops.quote_name(item.name)}")
            else:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(item.name)}")
    try:
        yield
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # memory for the sorts of the index builds (the session's, not the server's default of 4 MB)
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for item in aside:
                for statement in item.restore:
                    cursor.execute(statement)
            cursor.execute("RESET maintenance_work_mem")
        timing.seconds = time.perf_counter() - started
