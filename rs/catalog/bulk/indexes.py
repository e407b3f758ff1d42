"""Indexes set aside during a large load and rebuilt once at its end (`catalog load --defer-indexes`, PostgreSQL).

Maintaining ~20 btree/GiST/trigram indexes row by row costs most of a load's PostgreSQL time (26 attribute rows a
product, each entering six indexes in random order, and one deferred foreign-key check each); building each index
once from the finished table is a sort. Kept throughout: the primary keys and the product's unique (scope, name),
which report duplicates by line, and the check constraints. Set aside: every other index of the product and
attribute tables, the attribute table's unique (product, name) (the loader writes one row per name of a product, and
product ids are unique) and its foreign key to the product, added back NOT VALID then validated in one pass.

Only for a catalogue out of service (a migration, a benchmark): searches run without the indexes meanwhile, and
the tables are locked while the indexes are built. Whatever the load's outcome, everything set aside is restored.

The builds run on two connections side by side (two cores), one a table, each table's in the order its indexes had;
the unique (product, name) is built as an index among them, then becomes the constraint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from rs.catalog.models import Product, ProductAttribute


@dataclass(frozen=True)
class _SetAside:
    table: str
    name: str
    oid: int  # of its index (0 for a foreign key): builds keep the order the indexes had
    build: str  # CREATE INDEX: what takes the time, run beside the other table's builds
    attach: tuple[str, ...] = ()  # then, alone: the constraint around the index, or the foreign key

    @property
    def is_constraint(self) -> bool:
        return self.build.startswith("ALTER TABLE") or bool(self.attach)


@dataclass
class RebuildTiming:
    seconds: float = 0.0


# the sorts of the builds (the default is 64 MB); PostgreSQL's parallel workers still help the large btree builds
_BUILD_MEMORY = "SET maintenance_work_mem = '256MB'"


def _set_aside(cursor: Any) -> list[_SetAside]:
    product, attribute = Product._meta.db_table, ProductAttribute._meta.db_table
    found: list[_SetAside] = []
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype,
                  c.condeferrable, pg_get_indexdef(c.conindid), c.conindid::bigint
           FROM pg_constraint c
           WHERE c.conrelid = %s::regclass AND c.contype IN ('f', 'u')
           ORDER BY c.conname""", [attribute])
    for table, name, definition, kind, deferrable, index, oid in cursor.fetchall():
        quoted = connection.ops.quote_name(name)
        if kind == "f":  # added back unchecked, then validated in one pass over the table
            found.append(_SetAside(table, name, 0,
                                   f"ALTER TABLE {table} ADD CONSTRAINT {quoted} {definition} NOT VALID",
                                   (f"ALTER TABLE {table} VALIDATE CONSTRAINT {quoted}",)))
        elif not deferrable:  # its index built beside the others, then taken over by the constraint
            found.append(_SetAside(table, name, oid, index,
                                   (f"ALTER TABLE {table} ADD CONSTRAINT {quoted} UNIQUE USING INDEX {quoted}",)))
        else:
            found.append(_SetAside(table, name, oid, f"ALTER TABLE {table} ADD CONSTRAINT {quoted} {definition}"))
    cursor.execute(
        """SELECT i.indrelid::regclass::text, c.relname, i.indexrelid::bigint, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid IN (%s::regclass, %s::regclass)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
           ORDER BY c.relname""", [product, attribute])
    found += [_SetAside(table, name, oid, definition) for table, name, oid, definition in cursor.fetchall()]
    return found


def _build(statements: Iterator[str], errors: list[BaseException], own_connection: bool) -> None:
    """Run these CREATE INDEX statements, on a connection of this thread's own (or the main one)."""
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS) if own_connection else connection
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(_BUILD_MEMORY)
            for statement in statements:
                if errors:
                    return
                cursor.execute(statement)
            if not own_connection:
                cursor.execute("RESET maintenance_work_mem")
    except BaseException as exc:  # re-raised by the caller once every builder has stopped
        errors.append(exc)
    finally:
        if own_connection:
            wrapper.close()


def _rebuild(aside: list[_SetAside]) -> None:
    """Build the indexes, each table's on its own connection (two cores), then attach the constraints.

    Each table's indexes are built in the order they had (their OIDs), so the planner, which breaks cost ties by
    that order, chooses as before the load. CREATE INDEX takes a SHARE lock, so the two tables' builds do not wait
    for each other; the constraints, which lock more, come after. Inside a transaction (a test, or a caller's),
    everything runs on its own connection, since other sessions cannot see the uncommitted tables."""
    builds: dict[str, list[str]] = {}
    for item in sorted(aside, key=lambda item: item.oid):
        if item.build.startswith("CREATE"):
            builds.setdefault(item.table, []).append(item.build)
    queues = list(builds.values())
    errors: list[BaseException] = []
    if connection.in_atomic_block:
        queues = [[statement for queue in queues for statement in queue]]
    helpers = [threading.Thread(target=_build, args=(iter(queue), errors, True), name="index-build")
               for queue in queues[1:]]
    for helper in helpers:
        helper.start()
    if queues:
        _build(iter(queues[0]), errors, False)
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[0]
    with connection.cursor() as cursor:
        for item in aside:
            if not item.build.startswith("CREATE"):
                cursor.execute(item.build)
        for item in aside:
            for statement in item.attach:
                cursor.execute(statement)


@contextmanager
def indexes_deferred(timing: RebuildTiming) -> Iterator[None]:
    """Drop the indexes and constraints above, run the body, then rebuild them (also when the body fails)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        aside = _set_aside(cursor)
        for item in aside:
            if item.is_constraint:
                cursor.execute(f"ALTER TABLE {item.table} DROP CONSTRAINT {connection.ops.quote_name(item.name)}")
            else:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(item.name)}")
    try:
        yield
    finally:
        started = time.perf_counter()
        _rebuild(aside)
        timing.seconds = time.perf_counter() - started
