"""Reads of the lifecycle: policies in order and the ones an earlier rule makes unreachable."""

from __future__ import annotations

from dataclasses import dataclass

from rs.lifecycle.models import RetentionPolicy, StorageQuota

_REGEX_META = frozenset("[](){}|?*+\\^$.")


@dataclass(frozen=True)
class ShadowedPolicy:
    policy: RetentionPolicy
    shadowed_by: RetentionPolicy


def _covers(earlier: RetentionPolicy, later: RetentionPolicy) -> bool:
    """True when every product `later` matches is certainly matched by `earlier` (a sound, partial test: blank or
    identical criteria, or an earlier regex that is a literal prefix of the later one)."""

    def regex_covers(a: str, b: str) -> bool:
        if not a or a == b:
            return True
        prefix = a.removesuffix(".*")
        return bool(b) and not any(ch in _REGEX_META for ch in prefix) and b.startswith(prefix)

    return (
        (not earlier.mission or earlier.mission == later.mission)
        and (not earlier.family or earlier.family == later.family)
        and (not earlier.timeliness or earlier.timeliness == later.timeliness)
        and regex_covers(earlier.product_type_regex, later.product_type_regex)
        and regex_covers(earlier.name_regex, later.name_regex)
    )


def policies_shadowed() -> list[ShadowedPolicy]:
    """Enabled rules that can never match because an earlier enabled rule takes every product they would take."""
    policies = list(RetentionPolicy.objects.filter(enabled=True).order_by("position", "id"))
    shadowed = []
    for index, later in enumerate(policies):
        for earlier in policies[:index]:
            if _covers(earlier, later):
                shadowed.append(ShadowedPolicy(policy=later, shadowed_by=earlier))
                break
    return shadowed


def storage_quotas() -> list[StorageQuota]:
    """The byte quota of every family that has one, by family."""
    return list(StorageQuota.objects.order_by("family"))
