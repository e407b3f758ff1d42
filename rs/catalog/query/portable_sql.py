"""ORM expressions that PostgreSQL and SpatiaLite (the embedded default) answer alike where Django's own do not.

* A UUID as text: PostgreSQL's `uuid::text` is the canonical lower-case, hyphenated form; SQLite keeps Django's UUIDs
  as 32 hex digits (char(32)), so contains(Id,'…-…') would find nothing there. The hyphens are put back in SQL
  (no connection hook registers functions, so the expression says it with substr and ||).
* "A JSON list has an object with these members" (DeletedProducts' attributes): PostgreSQL's containment `@>`;
  Django has no `contains` on SQLite's JSON, so an EXISTS over json_each matches the members with jsonb's typing
  (numbers by value, so 3 and 3.0 match; a boolean or a string never matches a number).
"""

from __future__ import annotations

import json
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, CharField, F, Func
from django.db.models.sql.compiler import SQLCompiler

JsonScalar = str | int | float | bool

# Where the five groups of a UUID's 32 hex digits start (1-based, as substr counts) and how long they are.
_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


class UuidText(Func):
    """A UUID column as its canonical text, e.g. '0b7c7d4e-3f3a-4a4b-9d38-0a0f0e3a1c2d'."""

    template = "(%(expressions)s)::text"
    output_field = CharField()

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper,
                  **extra_context: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        groups = [f"substr({column}, {start}, {length})" for start, length in _UUID_GROUPS]
        hyphenated = " || '-' || ".join(groups)
        return f"lower({hyphenated})", list(params) * len(groups)


class JsonListHasEntry(Func):
    """`column` (a JSON list of objects) has an object with every member of `entry`."""

    output_field = BooleanField()

    def __init__(self, column: str, entry: dict[str, JsonScalar]) -> None:
        super().__init__(F(column))
        self.entry = entry

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper,  # type: ignore[override]
               **extra_context: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} @> %s::jsonb", [*params, json.dumps([self.entry])]

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper,
                  **extra_context: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        conditions: list[str] = []
        values: list[Any] = []
        for key, value in self.entry.items():
            path = f"$.{key}"
            if isinstance(value, bool):  # before int: a bool is an int to Python, not to JSON
                conditions.append("json_type(entry.value, %s) = %s")
                values += [path, "true" if value else "false"]
            elif isinstance(value, int | float):
                conditions.append("json_type(entry.value, %s) IN ('integer', 'real') "
                                  "AND json_extract(entry.value, %s) = %s")
                values += [path, path, value]
            else:
                conditions.append("json_type(entry.value, %s) = 'text' AND json_extract(entry.value, %s) = %s")
                values += [path, path, value]
        where = " AND ".join(conditions)
        # column and conditions are SQL of our own; every value is a parameter
        return f"EXISTS (SELECT 1 FROM json_each({column}) AS entry WHERE {where})", [*params, *values]  # noqa: S608
