"""Operator views of the catalog. Products are registered by ingestion and production, so the admin reads them and
acts on them only through the catalog services (publish, evict, delete); it never saves a product itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from rs.catalog import selectors, services
from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.models import (
    CatalogEvent,
    DeletedProduct,
    EventDelivery,
    Hold,
    Product,
    ProductAsset,
    ProductAttribute,
    ProductInput,
)
from rs.errors import DomainError
from rs.map_widgets import OfflineGISModelAdmin

# Events shown on a product's page: its newest ones (a product has a handful; the link under them opens the event
# list filtered to the product, which pages through any number).
EVENTS_SHOWN = 20


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttributeInline(ReadOnlyInline):
    model = ProductAttribute
    fields = readonly_fields = ("name", "value_type", "value")


class AssetInline(ReadOnlyInline):
    model = ProductAsset
    fields = readonly_fields = ("type", "name", "content_type", "content_length", "storage_key")


class InputInline(ReadOnlyInline):
    model = ProductInput
    fk_name = "output"
    verbose_name = "input product"
    verbose_name_plural = "lineage: input products"
    fields = readonly_fields = ("input",)


class OutputInline(ReadOnlyInline):
    model = ProductInput
    fk_name = "input"
    verbose_name = "output product"
    verbose_name_plural = "lineage: products made from this one"
    fields = readonly_fields = ("output",)


class PublishedFilter(admin.SimpleListFilter):
    title = "published"
    parameter_name = "published"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Published"), ("no", "Not published")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "yes":
            return queryset.filter(publication_date__isnull=False)
        if self.value() == "no":
            return queryset.filter(publication_date__isnull=True)
        return queryset


class ProductTypeFilter(admin.SimpleListFilter):
    title = "product type"
    parameter_name = "product_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(t, t) for t in selectors.product_types_known()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        return queryset.filter(product_type=self.value()) if self.value() else queryset


class ScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("operational", "Operational"), ("campaign", "Validation campaigns")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "operational":
            return queryset.filter(scope=OPERATIONAL_SCOPE)
        if self.value() == "campaign":
            return queryset.exclude(scope=OPERATIONAL_SCOPE)
        return queryset


@admin.register(Product)
class ProductAdmin(OfflineGISModelAdmin):
    list_display = ("name", "mission", "product_type", "content_start", "publication_date", "online", "scope")
    list_filter = ("mission", ProductTypeFilter, "family", "level", "online", PublishedFilter, ScopeFilter,
                   ("publication_date", admin.DateFieldListFilter), ("eviction_date", admin.DateFieldListFilter))
    search_fields = ("=id", "name__startswith", "=product_type")
    search_help_text = "Product id, the start of a name, or an exact product type."
    date_hierarchy = "content_start"
    show_full_result_count = False  # counting a large catalog on every page is slow
    list_per_page = 50
    inlines = (AttributeInline, AssetInline, InputInline, OutputInline)
    actions = ("publish_selected", "evict_selected", "delete_selected_products")
    fieldsets = (
        (None, {"fields": ("id", "name", "scope", "mission", "platform", "family", "product_type", "level", "mode",
                           "timeliness", "instrument_configuration_id", "production_type")}),
        ("Dates", {"fields": ("content_start", "content_end", "validity_start", "validity_stop", "origin_date",
                              "generation_date", "created_at", "publication_date", "modification_date",
                              "eviction_date")}),
        ("Storage", {"fields": ("online", "storage_key", "content_type", "content_length", "md5", "md5_date",
                                "blake3", "blake3_date", "job_id")}),
        ("Footprint", {"fields": ("footprint",)}),
        ("Events", {"fields": ("event_list",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Product._meta.concrete_fields if f.name != "footprint"] + ["event_list"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["footprint"].disabled = True  # shown on the map, changed only by extraction
        return form

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # products enter through ingestion or production

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the action below deletes through the service (object, DeletedProduct, event)

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        pass  # every field is read-only here; changes go through the actions

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass

    @admin.display(description=f"catalog events (newest {EVENTS_SHOWN})")
    def event_list(self, obj: Product) -> SafeString | str:
        # CatalogEvent has no foreign key to Product (events outlive their product), hence a read-only list here
        events = list(selectors.events_of_product(product_id=obj.id).reverse()[:EVENTS_SHOWN])
        if not events:
            return "-"
        rows = format_html_join(
            "", "<div>{} · {} · trace {} · {}</div>",
            ((e.created_at.isoformat(), e.kind, e.trace_id, "dispatched" if e.dispatched_at else "pending")
             for e in events),
        )
        url = f"{reverse('admin:catalog_catalogevent_changelist')}?{urlencode({'product_id': str(obj.id)})}"
        return format_html('{}<div><a href="{}">All events of this product</a></div>', rows, url)

    def _run(self, request: HttpRequest, queryset: QuerySet[Product], verb: str, action: Any) -> None:
        done, failed = 0, []
        for product_id in queryset.values_list("id", flat=True):
            try:
                action(product_id=product_id)
                done += 1
            except DomainError as exc:
                failed.append(str(exc))
        if done:
            self.message_user(request, f"{verb} {done} product(s).", messages.SUCCESS)
        for reason in failed[:10]:
            self.message_user(request, reason, messages.ERROR)

    @admin.action(description="Publish selected products")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._run(request, queryset, "Published", services.product_publish)

    @admin.action(description="Evict selected products (delete bytes, keep entry offline)")
    def evict_selected(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._run(request, queryset, "Evicted", services.product_evict)

    @admin.action(description="Delete selected products (bytes and entry)")
    def delete_selected_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._run(request, queryset, "Deleted", services.product_delete)


class DeliveryInline(ReadOnlyInline):
    model = EventDelivery
    fields = readonly_fields = ("consumer", "delivered_at", "attempts", "last_error", "redispatches", "redispatched_at")


@admin.register(CatalogEvent)
class CatalogEventAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "product_id", "created_at", "dispatched_at")
    list_filter = ("kind",)
    search_fields = ("=product_id", "=trace_id")
    show_full_result_count = False
    inlines = (DeliveryInline,)
    readonly_fields = ("kind", "product_id", "trace_id", "created_at", "payload", "dispatched_at")
    actions = ("retry_pending_deliveries",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Retry the pending deliveries of the selected events")
    def retry_pending_deliveries(self, request: HttpRequest, queryset: QuerySet[CatalogEvent]) -> None:
        pending = EventDelivery.objects.filter(event__in=queryset, delivered_at__isnull=True)
        count = 0
        for delivery_id in pending.values_list("id", flat=True):
            services.delivery_retry(delivery_id=delivery_id)
            count += 1
        self.message_user(request, f"Re-enqueued {count} delivery(ies).")


@admin.register(DeletedProduct)
class DeletedProductAdmin(OfflineGISModelAdmin):
    list_display = ("name", "product_type", "deletion_date", "deletion_cause", "scope")
    list_filter = ("mission", "deletion_cause", ScopeFilter)
    search_fields = ("=id", "name__startswith")
    date_hierarchy = "deletion_date"
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in DeletedProduct._meta.concrete_fields if f.name != "footprint"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["footprint"].disabled = True
        return form

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DeletedProduct, form: Any, change: bool) -> None:
        pass


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ("__str__", "product_type", "order_ref", "created_at", "expires_at", "created_by")
    fields = ("product", "product_type", "order_ref", "reason", "expires_at")
    raw_id_fields = ("product",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # a hold is created or released, never edited

    def save_model(self, request: HttpRequest, obj: Hold, form: Any, change: bool) -> None:
        try:
            hold = services.hold_create(
                reason=obj.reason, product_id=obj.product_id, product_type=obj.product_type,
                order_ref=obj.order_ref, expires_at=obj.expires_at, created_by_id=request.user.pk,
            )
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = hold.pk

    def delete_model(self, request: HttpRequest, obj: Hold) -> None:
        services.hold_release(hold_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        for hold_id in queryset.values_list("id", flat=True):
            services.hold_release(hold_id=hold_id)
