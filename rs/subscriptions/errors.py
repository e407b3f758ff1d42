"""Typed refusals of subscriptions and quotas; the HTTP edges turn them into their answers (prip-odata.md §9, §13)."""

from __future__ import annotations

from rs.errors import DomainError, NotFound


class SubscriptionNotFound(NotFound):
    """Unknown, cancelled or someone else's subscription: CDSE's 404 body."""

    code = "SubscriptionNotFound"

    def __init__(self, subscription_id: object) -> None:
        super().__init__(f"Subscription with id {subscription_id} not found.")


class InvalidSubscription(DomainError):
    """A malformed body, filter, endpoint or ack id: 400 with the OData error (`target` names the field)."""

    code = "InvalidSubscription"

    def __init__(self, message: str, *, target: str | None = None) -> None:
        super().__init__(message)
        self.target = target


class LimitReached(DomainError):
    """More subscriptions than the user's limits allow: 403."""

    status = 403
    code = "SubscriptionLimitReached"


class AccountRequired(DomainError):
    """Tokens of an external issuer whose user has no account here cannot own subscriptions: 403."""

    status = 403
    code = "Forbidden"


class QuotaExceeded(DomainError):
    """A quota is used up: 429 with Retry-After (prip-odata.md §18)."""

    status = 429
    code = "TooManyRequests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class SealBroken(Exception):
    """A sealed secret cannot be opened: SECRET_KEY changed since it was sealed (an operator must reset it)."""
