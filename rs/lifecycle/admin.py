"""Operators edit retention policies and quotas here; every policy change recomputes the eviction dates."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from rs.lifecycle import selectors, services
from rs.lifecycle.models import RetentionPolicy, StorageCheckRun, StorageQuota


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "mission", "family", "product_type_regex", "name_regex", "timeliness",
                    "retention_days", "action", "enabled")
    list_display_links = ("name",)
    list_editable = ("position", "retention_days", "enabled")
    list_filter = ("mission", "family", "action", "enabled")
    search_fields = ("name", "name_regex", "product_type_regex")
    ordering = ("position", "id")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        for shadow in selectors.policies_shadowed():
            self.message_user(
                request,
                f"Rule {shadow.policy.position} '{shadow.policy.name}' can never match: rule "
                f"{shadow.shadowed_by.position} '{shadow.shadowed_by.name}' comes first and takes all its products.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: RetentionPolicy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.retention_policies_changed()

    def delete_model(self, request: HttpRequest, obj: RetentionPolicy) -> None:
        super().delete_model(request, obj)
        services.retention_policies_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RetentionPolicy]) -> None:
        super().delete_queryset(request, queryset)
        services.retention_policies_changed()


@admin.register(StorageQuota)
class StorageQuotaAdmin(admin.ModelAdmin):
    list_display = ("family", "quota_bytes", "high_water_percent", "low_water_percent")


@admin.register(StorageCheckRun)
class StorageCheckRunAdmin(admin.ModelAdmin):
    list_display = ("id", "started_at", "finished_at", "status", "repair", "counts")
    readonly_fields = ("started_at", "finished_at", "status", "repair", "verify_checksums", "cursor", "counts",
                       "findings", "error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs start from `manage.py storage check`
