"""Which running subscriptions a product (or a deleted product) matches, without one query per subscription:

1. candidates: ONE query reads the running subscriptions of the event whose prefilter keys admit the product's
   (mission, productType) — SubscriptionKey's index, so the thousands of filters about other collections and types
   are never read;
2. each candidate's filter (parsed once per process) is evaluated in Python on the product's values
   (rs.subscriptions.evaluation, the SQL meaning of the tree);
3. the few filters Python cannot decide exactly (string ordering) are decided by the database in ONE query: a
   UNION ALL of "SELECT <subscription> WHERE pk = <product> AND <compiled filter>", in chunks;
4. owners must be active and allowed to see the product (their visibility rules, memoised per owner).
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import CharField, Value

from rs.access.choices import AuthMethod
from rs.access.principals import Principal, roles_of
from rs.access.selectors import rights_version_and_memos, visibility_filter
from rs.access.visibility import VisibilityScope
from rs.catalog.query.compiler import compile_filter
from rs.catalog.query.errors import QueryError
from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.names import name_convention
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import catalog_queryset
from rs.catalog.query.tree import Node
from rs.subscriptions.choices import SubscriptionEvent, SubscriptionStatus
from rs.subscriptions.constants import CACHE_PREFIX, FALLBACK_UNION_CHUNK, VISIBILITY_MEMO_S
from rs.subscriptions.evaluation import Evaluator, NotEvaluable, ProductFacts
from rs.subscriptions.models import Subscription, SubscriptionKey

logger = logging.getLogger(__name__)

_EVENT_FLAGS = {SubscriptionEvent.CREATED: "on_created", SubscriptionEvent.MODIFIED: "on_modified",
                SubscriptionEvent.DELETED: "on_deleted"}
_TREES_KEPT = 50_000  # parsed filters kept per process (a few KB each)


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    owner_id: int
    filter_param: str
    is_push: bool


class _Trees:
    """Parsed filters by subscription, re-parsed when the text changes; bounded, least recently used out."""

    def __init__(self) -> None:
        self._trees: OrderedDict[uuid.UUID, tuple[str, Node | None]] = OrderedDict()

    def get(self, candidate: Candidate) -> Node | None:
        kept = self._trees.get(candidate.id)
        if kept is not None and kept[0] == candidate.filter_param:
            self._trees.move_to_end(candidate.id)
            return kept[1]
        tree = parse_filter(candidate.filter_param, entity=Entity.PRODUCTS)  # valid: checked at creation
        self._trees[candidate.id] = (candidate.filter_param, tree)
        if len(self._trees) > _TREES_KEPT:
            self._trees.popitem(last=False)
        return tree


_trees = _Trees()
_evaluator = Evaluator()


def candidates(*, event: str, mission: str, product_type: str) -> list[Candidate]:
    """The running subscriptions of this event whose keys admit the product: one query."""
    keyed = SubscriptionKey.objects.filter(mission__in={mission, ""}, product_type__in={product_type, ""})
    flag = {_EVENT_FLAGS[SubscriptionEvent(event)]: True}
    rows = (Subscription.objects.filter(status=SubscriptionStatus.RUNNING, id__in=keyed.values("subscription_id"),
                                        **flag)
            .values_list("id", "owner_id", "filter_param", "notification_endpoint"))
    return [Candidate(id=i, owner_id=owner, filter_param=text, is_push=bool(endpoint))
            for i, owner, text, endpoint in rows]


def matching(*, found: Sequence[Candidate], facts: ProductFacts, product_id: uuid.UUID, deleted: bool,
             mission: str, product_type: str) -> list[Candidate]:
    """The candidates whose filter matches the product and whose owner may see it (`mission` and `product_type`
    are the product's columns, which the visibility rules test)."""
    matched: list[Candidate] = []
    undecided: list[tuple[Candidate, Node]] = []
    for candidate in found:
        try:
            tree = _trees.get(candidate)
        except QueryError:
            logger.warning("subscription %s: its filter no longer parses; skipped", candidate.id)
            continue
        if tree is None:
            matched.append(candidate)
            continue
        try:
            if _evaluator.matches(tree, facts):
                matched.append(candidate)
        except NotEvaluable:
            undecided.append((candidate, tree))
    if undecided:
        decided = _database_matches(undecided, product_id=product_id, deleted=deleted)
        matched.extend(candidate for candidate, _ in undecided if candidate.id in decided)
    return _visible(matched, mission=mission, product_type=product_type)


def _database_matches(pairs: Sequence[tuple[Candidate, Node]], *, product_id: uuid.UUID,
                      deleted: bool) -> set[uuid.UUID]:
    entity = Entity.DELETED_PRODUCTS if deleted else Entity.PRODUCTS
    convention = name_convention()
    selects: list[Any] = []
    for candidate, tree in pairs:
        try:
            if deleted:  # the filter is about Products: re-read for DeletedProducts (Online, S3Path do not exist)
                tree = parse_filter(candidate.filter_param, entity=entity) or tree
            condition = compile_filter(tree, entity=entity, convention=convention)
        except (QueryError, KeyError):
            continue
        selects.append(catalog_queryset(entity).filter(condition, pk=product_id)
                       .annotate(sid=Value(str(candidate.id), output_field=CharField()))
                       .values_list("sid", flat=True))
    found: set[uuid.UUID] = set()
    for start in range(0, len(selects), FALLBACK_UNION_CHUNK):
        chunk = selects[start:start + FALLBACK_UNION_CHUNK]
        query = chunk[0].union(*chunk[1:], all=True) if len(chunk) > 1 else chunk[0]
        found.update(uuid.UUID(str(sid)) for sid in query)
    return found


def owner_principals(*, owner_ids: Iterable[int]) -> dict[int, Principal]:
    """Active owners as principals (roles and groups from the database, as a session would have them): 2 queries."""
    ids = set(owner_ids)
    user_model = get_user_model()
    users = user_model.objects.filter(pk__in=ids, is_active=True).values_list("pk", "username", "is_superuser")
    groups: dict[int, set[str]] = {}
    for user_id, group in user_model.groups.through.objects.filter(user_id__in=ids).values_list(
            "user_id", "group__name"):
        groups.setdefault(user_id, set()).add(group)
    principals = {}
    for pk, username, is_superuser in users:
        names = frozenset(groups.get(pk, ()))
        principals[pk] = Principal(user_id=pk, username=username, roles=roles_of(is_superuser=is_superuser,
                                                                                  group_names=names),
                                   groups=names, client_id=None, token_id=None, method=AuthMethod.SESSION)
    return principals


def _visible(matched: list[Candidate], *, mission: str, product_type: str) -> list[Candidate]:
    if not matched:
        return []
    scopes = owner_scopes(owner_ids={c.owner_id for c in matched})
    allowed = {owner: scope is not None and scope.allows(mission, product_type) for owner, scope in scopes.items()}
    return [c for c in matched if allowed.get(c.owner_id, False)]


def owner_scopes(*, owner_ids: set[int]) -> dict[int, VisibilityScope | None]:
    """What each owner may see (None: inactive or gone), memoised in the cache: a product matching hundreds of
    subscriptions costs one cache round trip, not one per owner. A memo holds only under the rights version it was
    made with: a rule, group, activity or superuser change (rs.access.services.rights_changed) makes every memo
    stale at once, so the next product is matched with the new rights; VISIBILITY_MEMO_S only bounds the memory."""
    keys = {owner: f"{CACHE_PREFIX}visibility:{owner}" for owner in owner_ids}
    version, found = rights_version_and_memos(list(keys.values()))
    scopes: dict[int, VisibilityScope | None] = {}
    missing = []
    for owner, key in keys.items():
        memo = found.get(key)
        if isinstance(memo, tuple) and len(memo) == 2 and memo[0] == version:
            scopes[owner] = memo[1] or None
        else:
            missing.append(owner)
    if missing:
        principals = owner_principals(owner_ids=missing)
        fresh = {owner: visibility_filter(principals[owner]) if owner in principals else None for owner in missing}
        cache.set_many({keys[owner]: (version, scope or False) for owner, scope in fresh.items()},
                       timeout=VISIBILITY_MEMO_S)
        scopes.update(fresh)
    return scopes
