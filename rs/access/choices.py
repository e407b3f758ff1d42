"""Choices of the access app: roles, signing-key states, authentication methods, OAuth grants."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """Roles are cumulative: an admin is an operator, an operator is a user."""

    USER = "user", "User"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Administrator"


# Each role and the roles it implies (a principal carries the closure, so checks are one set lookup).
ROLE_CLOSURE: dict[str, frozenset[str]] = {
    Role.USER: frozenset({Role.USER}),
    Role.OPERATOR: frozenset({Role.USER, Role.OPERATOR}),
    Role.ADMIN: frozenset({Role.USER, Role.OPERATOR, Role.ADMIN}),
}


class KeyState(models.TextChoices):
    NEXT = "next", "Next (published, not signing yet)"
    ACTIVE = "active", "Active (signing)"
    RETIRED = "retired", "Retired (verifying until its tokens expire)"


class AuthMethod(models.TextChoices):
    BEARER = "bearer", "Authorization: Bearer"
    QUERY_TOKEN = "query_token", "?token= query parameter"
    BASIC = "basic", "HTTP Basic"
    SESSION = "session", "Django session"


class GrantType(models.TextChoices):
    PASSWORD = "password", "password"
    REFRESH_TOKEN = "refresh_token", "refresh_token"
    CLIENT_CREDENTIALS = "client_credentials", "client_credentials"
