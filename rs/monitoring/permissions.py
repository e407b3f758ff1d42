"""Who may read the monitoring API: operators (and admins), as every operator endpoint (rs/api/permissions.py)."""

from __future__ import annotations

from rs.api.permissions import IsOperator as _IsOperator


class IsOperator(_IsOperator):
    message = "the monitoring API is for operators"
