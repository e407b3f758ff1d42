"""Operator view of ad-hoc production: a form to order (checked by the same service as the API), the list of orders
with their progress, cancellation. Registered by rs/production/admin.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from rs.errors import DomainError
from rs.production.choices import Priority
from rs.production.models import OrderState, ProcessorVersion, ProductionOrder, ProductionRule
from rs.production.orders import selectors, services
from rs.production.orders.validation import OrderInvalid, OrderRequest, order_check

FORM_FIELDS = ["name", "processor_version", "rule", "priority", "parameters", "start", "stop", "area", "product_ids",
               "notify_url", "notify_email"]


class OrderCreateForm(forms.ModelForm):
    name = forms.CharField(required=False, max_length=200)
    processor_version = forms.ModelChoiceField(
        queryset=ProcessorVersion.objects.select_related("processor").order_by("processor__name", "-imported_at"))
    rule = forms.ModelChoiceField(queryset=ProductionRule.objects.filter(order__isnull=True).order_by("name"),
                                  required=False, help_text="The rule whose trigger types and grouping the order "
                                                            "follows; empty: the only rule of the processor.")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)
    parameters = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="One NAME=VALUE per line (Dyn_ProcParam of the Task Table).")
    start = forms.DateTimeField(required=False, help_text="Window start (UTC): products whose sensing starts in "
                                                          "[start, stop).")
    stop = forms.DateTimeField(required=False)
    area = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Optional, with a window: a WKT or GeoJSON polygon in longitude/latitude.")
    product_ids = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="Or a list of product ids, one per line.")
    notify_url = forms.CharField(required=False, max_length=2048, help_text="Webhook called when it finishes.")
    notify_email = forms.CharField(required=False, max_length=254, help_text="E-mail sent when it finishes.")

    class Meta:
        model = ProductionOrder
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        parameters: dict[str, str] = {}
        for line in (cleaned.get("parameters") or "").splitlines():
            if not line.strip():
                continue
            name, equal, value = line.partition("=")
            if not equal or not name.strip():
                raise forms.ValidationError({"parameters": f"not NAME=VALUE: {line!r}"})
            parameters[name.strip()] = value.strip()
        version = cleaned.get("processor_version")
        rule = cleaned.get("rule")
        request = OrderRequest(
            processor_version_id=version.pk if version else None, rule_name=rule.name if rule else "",
            name=cleaned.get("name") or "", priority=cleaned.get("priority") or Priority.MEDIUM,
            parameters=parameters, start=cleaned.get("start"), stop=cleaned.get("stop"),
            area=(cleaned.get("area") or "").strip() or None,
            product_ids=[p.strip() for p in (cleaned.get("product_ids") or "").split() if p.strip()],
            notify_url=(cleaned.get("notify_url") or "").strip(),
            notify_email=(cleaned.get("notify_email") or "").strip())
        try:
            order_check(request)
        except OrderInvalid as exc:
            raise forms.ValidationError({name if name in FORM_FIELDS else "__all__": message
                                         for name, message in exc.errors.items()}) from None
        cleaned["order_request"] = request
        return cleaned


@admin.register(ProductionOrder)
class ProductionOrderAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "state", "processor_version", "progress", "created_at", "finished_at")
    list_filter = ("state",)
    search_fields = ("=id", "name")
    show_full_result_count = False
    actions = ("cancel_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProductionOrder]:
        return selectors.orders()  # progress counted in the page's one query

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = OrderCreateForm
            kwargs["fields"] = FORM_FIELDS
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ("name", "processor_version", "rule", "priority", "parameters")}),
                    ("Selection", {"fields": ("start", "stop", "area", "product_ids")}),
                    ("When it finishes", {"fields": ("notify_url", "notify_email")}))
        return ((None, {"fields": ("name", "state", "progress", "jobs_link", "processor_version", "rule",
                                   "template_rule", "priority", "parameters", "requested_by")}),
                ("Selection", {"fields": ("selection", "window_start", "window_stop", "area", "product_ids",
                                          "products_selected", "products_skipped", "skipped", "jobs_created")}),
                ("Planning", {"fields": ("products_planned", "plan_step_at", "plan_error")}),
                ("Notification", {"fields": ("notify_url", "notify_email", "webhook_sent_at", "email_sent_at",
                                             "notify_next_at", "notify_attempts", "notify_error")}),
                ("Times", {"fields": ("created_at", "cancelled_at", "finished_at")}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return [f.name for f in ProductionOrder._meta.concrete_fields if f.name != "notify_secret_sealed"] + [
            "progress", "jobs_link"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its jobs and their history stay

    def save_model(self, request: HttpRequest, obj: ProductionOrder, form: Any, change: bool) -> None:
        if change:
            return  # read-only: cancellation goes through the action
        order, secret = services.order_create(request=OrderRequest(
            **{**form.cleaned_data["order_request"].__dict__, "requested_by_id": request.user.pk}))
        obj.__dict__.update(order.__dict__)  # the admin redirects to the row the service created
        if order.state == OrderState.ACCEPTED:
            self.message_user(request, f"Order accepted: its {order.products_selected} products are planned in the "
                                       "background (see Planning).", messages.INFO)
        if secret:
            self.message_user(request, f"Webhook signing secret (shown once): {secret}", messages.WARNING)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass

    @admin.display(description="progress")
    def progress(self, obj: ProductionOrder) -> str:
        if not hasattr(obj, "jobs_succeeded"):
            obj = selectors.order_get(order_id=obj.pk)
        progress = selectors.progress_of(obj)
        parts = ", ".join(f"{n} {state}" for state, n in progress["jobs"].items() if n)
        return f"{progress['final']}/{progress['total']} final ({progress['percent']} %)" + (
            f": {parts}" if parts else "")

    @admin.display(description="jobs")
    def jobs_link(self, obj: ProductionOrder) -> SafeString:
        url = reverse("admin:production_job_changelist") + f"?rule__id__exact={obj.rule_id}"
        return format_html('<a href="{}">the jobs of {}</a>', url, obj.rule.name)

    @admin.action(description="Cancel the selected orders")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[ProductionOrder]) -> None:
        count = 0
        for order_id in queryset.values_list("pk", flat=True):
            try:
                services.order_cancel(order_id=order_id)
                count += 1
            except DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if count:
            self.message_user(request, f"{count} order(s) cancelled.", messages.SUCCESS)
