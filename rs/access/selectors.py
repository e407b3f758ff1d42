"""Reads of the access app for the other apps: what a principal may see and download, the published keys.

    scope = visibility_filter(principal)              # principal may be None (anonymous search)
    products = Product.objects.filter(query_q, visibility_q(scope))
    if not download_allowed(principal, product): ...   # 401 when principal is None, else 403
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from django.core.cache import cache
from django.db.models import Q, QuerySet

from rs.access import keys, rights
from rs.access.choices import Role
from rs.access.configuration import access_settings
from rs.access.constants import KEYSET_VERSION_KEY, RIGHTS_VERSION_KEY, VISIBILITY_RULES_KEY
from rs.access.models import OAuthClient, TokenSession, VisibilityRule
from rs.access.principals import Principal
from rs.access.visibility import Grant, VisibilityScope

# The rules are a handful of rows read on every search: kept in the Django cache, dropped by the services on
# change, and expiring anyway in case a group was renamed or a user deleted behind their back.
_RULES_CACHE_S = 300
_SCOPE_MEMO_S = 30

_RuleRow = tuple[int | None, str | None, str, str, bool]  # user id, group name, mission, types, allow


class ProductLike(Protocol):
    mission: str
    product_type: str


def _rules() -> list[_RuleRow]:
    rows: list[_RuleRow] | None = cache.get(VISIBILITY_RULES_KEY)
    if rows is None:
        rows = [(r.user_id, r.group.name if r.group is not None else None, r.mission, r.product_types, r.allow)
                for r in VisibilityRule.objects.select_related("group").order_by("pk")]
        cache.set(VISIBILITY_RULES_KEY, rows, timeout=_RULES_CACHE_S)
    return rows


def rights_version_and_memos(keys: list[str]) -> tuple[int, dict[str, Any]]:
    """The rights version and the cache entries `keys` (another app's memos of rights) in one round trip."""
    found = cache.get_many([RIGHTS_VERSION_KEY, *keys])
    return rights.rights_version_of(found.pop(RIGHTS_VERSION_KEY, None)), found


def anonymous_search_allowed() -> bool:
    return access_settings().anonymous_search


# Scopes computed in this process: (who, default visibility) → (rights version, expiry, scope). A change of rights
# bumps the version, so a memo is never used after one; the expiry bounds what a change made behind the services'
# back (a group renamed in the database) can leave, like the cached rules' own expiry.
_ScopeKey = tuple[int | None, frozenset[str], bool]
_scopes: dict[_ScopeKey, tuple[int, float, VisibilityScope]] = {}
_SCOPES_MAX = 4096


def visibility_filter(principal: Principal | None) -> VisibilityScope:
    """What `principal` (None: anonymous) may see. Operators and admins see everything; anonymous callers get the
    rules for everybody, or nothing when anonymous search is disabled. No cache read beyond the rights version (none
    when the principal carries it) while the rights are unchanged."""
    config = access_settings()
    if principal is None and not config.anonymous_search:
        return VisibilityScope.none()
    if principal is not None and principal.has_role(Role.OPERATOR):
        return VisibilityScope.all()
    if principal is not None and principal.rights_version is not None:
        version = principal.rights_version
    else:
        version = rights.rights_version()
    key: _ScopeKey = ((principal.user_id, principal.groups) if principal is not None else (None, frozenset())) + (
        config.default_visibility_all,)
    now = time.monotonic()
    memo = _scopes.get(key)
    if memo is not None and memo[0] == version and memo[1] > now:
        return memo[2]
    scope = _scope_of(principal, default_all=config.default_visibility_all)
    if len(_scopes) >= _SCOPES_MAX:
        _scopes.clear()
    _scopes[key] = (version, now + _SCOPE_MEMO_S, scope)
    return scope


def _scope_of(principal: Principal | None, *, default_all: bool) -> VisibilityScope:
    allowed: list[Grant] = []
    denied: list[Grant] = []
    for user_id, group, mission, types, allow in _rules():
        applies = (user_id is None and group is None) or (
            principal is not None and ((user_id is not None and user_id == principal.user_id)
                                       or (group is not None and group in principal.groups)))
        if applies:
            (allowed if allow else denied).append(Grant(mission=mission, product_types=types))
    everything = not allowed and default_all
    return VisibilityScope(everything=everything, allowed=tuple(allowed), denied=tuple(denied))


def visibility_q(scope: VisibilityScope, *, prefix: str = "") -> Q:
    """The scope as a Q on `mission`/`product_type` (Product, DeletedProduct; `prefix` for a relation)."""
    return scope.q(prefix)


def download_allowed(principal: Principal | None, product: ProductLike) -> bool:
    """Downloads always need a principal with the user role, and the product must be in its scope."""
    if principal is None or not principal.has_role(Role.USER):
        return False
    return visibility_filter(principal).allows(product.mission, product.product_type)


def jwks() -> dict[str, Any]:
    """The JWKS document (no database read while the key set is unchanged)."""
    return keys.jwks_document(version=keys.keyset_version(cache.get(KEYSET_VERSION_KEY)))


def sessions_of_user(*, user_id: int) -> QuerySet[TokenSession]:
    return TokenSession.objects.filter(user_id=user_id, revoked_at__isnull=True).select_related("client")


def oauth_client(*, client_id: str) -> OAuthClient | None:
    return OAuthClient.objects.filter(client_id=client_id, enabled=True).select_related("service_user").first()
