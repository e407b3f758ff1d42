"""Who is calling: the Principal every app receives, and how one is built from a Django user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rs.access.choices import ROLE_CLOSURE, AuthMethod, Role


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, whatever the credential it presented.

    `user_id` is None for the users of an external issuer that have no account here; `owner_key` then still names
    them uniquely (quotas and subscriptions key on it). `expires_at` is the token's expiry (None: session or Basic).
    """

    user_id: int | None
    username: str
    roles: frozenset[str]
    groups: frozenset[str]
    client_id: str | None
    token_id: str | None
    method: AuthMethod
    issuer: str = ""
    subject: str = ""
    expires_at: datetime | None = None
    session_id: str | None = field(default=None, compare=False)
    # the rights version read with the credential (rs.access.rights), so that visibility needs no read of its own
    rights_version: int | None = field(default=None, compare=False)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def owner_key(self) -> str:
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"external:{self.issuer}#{self.subject}"


def roles_of(*, is_superuser: bool, group_names: frozenset[str]) -> frozenset[str]:
    """A user's roles: 'user' for everyone, plus the roles whose Django group they belong to (admin for superusers)."""
    roles: set[str] = set(ROLE_CLOSURE[Role.USER])
    if is_superuser:
        roles |= ROLE_CLOSURE[Role.ADMIN]
    for role in (Role.OPERATOR, Role.ADMIN):
        if role.value in group_names:
            roles |= ROLE_CLOSURE[role]
    return frozenset(roles)


def roles_closure(names: set[str] | frozenset[str]) -> frozenset[str]:
    roles: set[str] = set()
    for name in names:
        roles |= ROLE_CLOSURE.get(name, frozenset())
    return frozenset(roles)


def principal_from_user(user: Any, *, method: AuthMethod, client_id: str | None = None,
                        token_id: str | None = None, expires_at: datetime | None = None) -> Principal:
    """The principal of a local user (one query for the group names)."""
    groups = frozenset(user.groups.values_list("name", flat=True))
    return Principal(
        user_id=user.pk, username=user.get_username(), roles=roles_of(is_superuser=user.is_superuser,
                                                                       group_names=groups),
        groups=groups, client_id=client_id, token_id=token_id, method=method, subject=str(user.pk),
        expires_at=expires_at,
    )
