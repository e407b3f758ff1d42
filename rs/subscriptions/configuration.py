"""The subscription settings as one typed value (the environment parsing lives in rs/settings.py).

Read through `subscription_settings()` on every use, so tests can override a setting with pytest-django's `settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SubscriptionSettings:
    push_attempts: int  # POSTs of one notification before the subscription is paused
    push_backoff_s: float  # delay before the second attempt; doubles each time
    push_timeout_s: float
    push_private_networks: bool  # allow callbacks to loopback and private addresses (tests, closed deployments)


def subscription_settings() -> SubscriptionSettings:
    s: Any = settings
    try:
        return SubscriptionSettings(
            push_attempts=int(s.RS_SUBSCRIPTION_PUSH_ATTEMPTS),
            push_backoff_s=float(s.RS_SUBSCRIPTION_PUSH_BACKOFF_S),
            push_timeout_s=float(s.RS_SUBSCRIPTION_PUSH_TIMEOUT_S),
            push_private_networks=bool(s.RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS),
        )
    except AttributeError as exc:
        raise ImproperlyConfigured(f"rs.subscriptions needs its settings in rs/settings.py: {exc}") from None
