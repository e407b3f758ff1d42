"""The database sessions the project opens."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_sessions_run_without_jit() -> None:
    """A page query with its expansions' sub-selects is estimated above jit_above_cost; compiling it cost more than
    running it, so the project's sessions turn JIT off."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
