"""Reference datasets in the admin: created through the same service as the API (a form with the selections),
then read-only: a version is immutable, a change is a new version."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from rs.campaigns import services
from rs.campaigns.models import DatasetProduct, ReferenceDataset
from rs.errors import DomainError


def _names(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


class DatasetCreateForm(forms.ModelForm):
    input_filter = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="A PRIP $filter, e.g. Collection/Name eq 'SENTINEL-1' and …")
    input_names = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text="Product names, one per line.")
    reference_filter = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reference_names = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                      help_text="Reference outputs, one name per line (optional).")

    class Meta:
        model = ReferenceDataset
        fields = ["name", "description"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        request = services.DatasetRequest(
            name=cleaned.get("name", ""), description=cleaned.get("description", ""),
            input_filter=cleaned.get("input_filter", ""), input_names=_names(cleaned.get("input_names", "")),
            reference_filter=cleaned.get("reference_filter", ""),
            reference_names=_names(cleaned.get("reference_names", "")))
        try:  # validated and written here, so a refusal is a form error and nothing is half-written
            self.created = services.dataset_create(request=request, created_by_id=getattr(self, "user_id", None))
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


class DatasetProductInline(admin.TabularInline):
    model = DatasetProduct
    fields = ["product_name", "product_type", "role"]
    readonly_fields = ["product_name", "product_type", "role"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferenceDataset)
class ReferenceDatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "created_at", "created_by"]
    search_fields = ["name"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:  # a subclass per request carries who creates it
            return type("DatasetCreateForm", (DatasetCreateForm,), {"user_id": request.user.pk})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [DatasetProductInline] if obj is not None else []  # products are picked by the form when adding

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "version", "description", "selection", "created_at", "created_by"]

    def save_model(self, request: HttpRequest, obj: ReferenceDataset, form: Any, change: bool) -> None:
        if change:
            return  # immutable: nothing to save
        obj.pk = form.created.pk  # written by the form's validation through the service

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None
