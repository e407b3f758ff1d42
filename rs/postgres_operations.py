"""Migration operations that apply only on PostgreSQL.

The embedded default runs on SpatiaLite, so PostgreSQL-only indexes (trigram GIN, text_pattern_ops) are created
here and skipped elsewhere. They speed queries up; no query depends on them for its result.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.special import RunSQL


class RunSQLOnPostgreSQL(RunSQL):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return "Raw SQL operation (PostgreSQL only)"
