"""Admin of distribution limits (the default row and per-user overrides) and of subscriptions (read mostly: users
manage theirs through the API). Sealed secrets are never shown; writes go through rs.subscriptions.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from rs.subscriptions import services
from rs.subscriptions.bodies import SubscriptionChanges
from rs.subscriptions.choices import SubscriptionStatus
from rs.subscriptions.errors import LimitReached
from rs.subscriptions.models import Subscription, UserLimits


@admin.register(UserLimits)
class UserLimitsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "concurrent_downloads", "download_bytes", "download_period_days",
                    "requests_per_minute", "running_subscriptions", "total_subscriptions",
                    "subscription_queue_length", "subscription_read_max"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: UserLimits, form: Any, change: bool) -> None:
        services.limits_save(limits=obj)

    def delete_model(self, request: HttpRequest, obj: UserLimits) -> None:
        services.limits_delete(limits=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UserLimits]) -> None:
        for limits in queryset:
            services.limits_delete(limits=limits)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "notification_endpoint", "queue_length", "submission_date",
                    "last_notification_date", "paused_reason"]
    list_filter = ["status", "on_created", "on_modified", "on_deleted"]
    search_fields = ["id", "owner__username", "filter_param"]
    fields = readonly_fields = ("id", "owner", "filter_param", "status", "on_created", "on_modified", "on_deleted",
                                "notification_endpoint", "endpoint_username", "service_root", "submission_date",
                                "last_notification_date", "queue_length", "paused_reason")
    actions = ["resume"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Set running again (pushes parked after failures are sent again)")
    def resume(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        resumed = 0
        for subscription in queryset.filter(status=SubscriptionStatus.PAUSED):
            try:
                services.subscription_update(owner_id=subscription.owner_id, subscription_id=subscription.id,
                                             changes=SubscriptionChanges(status=SubscriptionStatus.RUNNING))
                resumed += 1
            except LimitReached as exc:
                self.message_user(request, f"{subscription.id}: {exc}", messages.WARNING)
        self.message_user(request, f"{resumed} subscription(s) running again.")
