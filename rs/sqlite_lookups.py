"""Django's case-insensitive lookups (iexact, icontains, istartswith, iendswith) ignore case on SQLite too.

Django compiles them to LIKE on SQLite and counts on LIKE ignoring case, but the embedded settings turn
`case_sensitive_like` on (so that contains/startswith/endswith are case-sensitive, as on PostgreSQL and as PRIP
filters want) and the i-lookups became case-sensitive with it: the quarantine's reason filter, the admin's search.
On SQLite both sides are upper-cased here, as PostgreSQL's own SQL does (UPPER(x) LIKE UPPER(pattern)); on
PostgreSQL Django's SQL is unchanged. Fields with lookups of their own (UUIDField's) keep theirs.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, lookups
from django.db.models.sql.compiler import SQLCompiler


class _UpperSidesOnSQLite(lookups.BuiltinLookup):
    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        rhs = self.get_rhs_op(connection, f"UPPER({rhs_sql})")
        return f"UPPER({lhs_sql}) {rhs}", [*lhs_params, *rhs_params]


class IExact(_UpperSidesOnSQLite, lookups.IExact):
    pass


class IContains(_UpperSidesOnSQLite, lookups.IContains):
    pass


class IStartsWith(_UpperSidesOnSQLite, lookups.IStartsWith):
    pass


class IEndsWith(_UpperSidesOnSQLite, lookups.IEndsWith):
    pass


def case_insensitive_lookups_register() -> None:
    for lookup in (IExact, IContains, IStartsWith, IEndsWith):
        Field.register_lookup(lookup)
