"""Who may call the operator endpoints: operators (and admins), whether they come with a token or a session."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from rs.access.choices import Role
from rs.access.principals import Principal, roles_of


class IsOperator(permissions.BasePermission):
    message = "this part of the API is for operators"

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, Principal):  # a token: its roles, also for external users without an account
            return request.auth.has_role(Role.OPERATOR)
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if user.is_staff:  # staff reach the operations view (/ops/), whose panels read these endpoints
            return True
        groups = frozenset(user.groups.values_list("name", flat=True))
        return Role.OPERATOR in roles_of(is_superuser=bool(user.is_superuser), group_names=groups)
