"""Reference datasets and campaigns in the admin: created through the same services as the API (a form with the
selections, or the versions to run), then read-only: a dataset version is immutable, a campaign's results are its
jobs' (its report is linked)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from rs.campaigns import selectors, services
from rs.campaigns.choices import CampaignState
from rs.campaigns.errors import InvalidCampaign
from rs.campaigns.models import Campaign, CampaignRun, CampaignVersion, DatasetProduct, ReferenceDataset
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


# --- campaigns -------------------------------------------------------------------------------------------------------


def _versions(text: str) -> list[dict[str, Any]]:
    """One version per line: the processor version id, optionally followed by its parameters as a JSON object."""
    versions = []
    for number, line in enumerate((line.strip() for line in text.splitlines()), start=1):
        if not line:
            continue
        head, _, rest = line.partition(" ")
        if not head.isdigit():
            raise forms.ValidationError(f"line {number}: start with the processor version id, not {head!r}")
        parameters: Any = {}
        if rest.strip():
            try:
                parameters = json.loads(rest)
            except ValueError:
                parameters = None
            if not isinstance(parameters, dict):
                raise forms.ValidationError(f"line {number}: the parameters after the id must be a JSON object")
        versions.append({"processor_version": int(head), "parameters": parameters})
    return versions


class CampaignCreateForm(forms.ModelForm):
    rule = forms.CharField(required=False, max_length=64,
                           help_text="The production rule the runs follow (blank: the processor's only rule).")
    versions = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                               help_text='One processor version id per line, the baseline first, optionally followed '
                                         'by its parameters: 12 {"Sim_Duration_S": "2"}')
    tolerances = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text='JSON, e.g. {"time_s": 1, "number_rel": 1e-6, "ignore": ["*/creationTime"]}'
                                           " (blank: exact, with the default ignored fields)")

    class Meta:
        model = Campaign
        fields = ["name", "dataset", "repetitions"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        versions = _versions(cleaned.get("versions", ""))
        try:
            tolerances = json.loads(cleaned["tolerances"]) if cleaned.get("tolerances", "").strip() else {}
        except ValueError:
            raise forms.ValidationError({"tolerances": "not JSON"}) from None
        dataset = cleaned.get("dataset")
        request = services.CampaignRequest(
            name=cleaned.get("name", ""), dataset_id=dataset.pk if dataset else None, versions=versions,
            rule_name=cleaned.get("rule", ""), repetitions=cleaned.get("repetitions") or 0, tolerances=tolerances,
            created_by_id=getattr(self, "user_id", None))
        try:  # validated and written here, so a refusal is a form error and nothing is half-written
            self.created = services.campaign_start(request=request)
        except InvalidCampaign as exc:
            raise forms.ValidationError("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


class CampaignVersionInline(admin.TabularInline):
    model = CampaignVersion
    fields = ["position", "label", "processor_version", "parameters"]
    readonly_fields = ["position", "label", "processor_version", "parameters"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CampaignRunInline(admin.TabularInline):
    model = CampaignRun
    fields = ["version", "repetition", "scope", "jobs"]
    readonly_fields = ["version", "repetition", "scope", "jobs"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="jobs")
    def jobs(self, run: CampaignRun) -> str:
        if run.rule_id is None:
            return "—"
        return format_html('<a href="/admin/production/job/?rule__id__exact={}">jobs of {}</a>', run.rule_id,
                           run.scope)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "dataset", "repetitions", "progress", "created_at", "created_by"]
    search_fields = ["name"]
    actions = ["delete_campaigns"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return selectors.campaigns()

    @admin.display(description="state")
    def progress(self, campaign: Campaign) -> str:
        if campaign.state == CampaignState.DELETING:
            if campaign.deletion_error:
                return f"being deleted (stopped on: {campaign.deletion_error}; tried again in a few minutes)"
            return "being deleted (by a worker)"
        open_jobs, failed = getattr(campaign, "jobs_open", 0), getattr(campaign, "jobs_failed", 0)
        return f"running ({open_jobs} open jobs)" if open_jobs else f"finished ({failed} failed jobs)"

    @admin.action(description="Delete the selected finished campaigns (outputs, rules, jobs)")
    def delete_campaigns(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        # the request only marks them `deleting`: a worker removes their outputs, rules and jobs (minutes for
        # thousands of outputs), so the page answers at once
        for campaign_id in queryset.values_list("pk", flat=True):
            try:
                services.campaign_delete_request(campaign_id=campaign_id)
            except DomainError as exc:
                self.message_user(request, f"campaign {campaign_id}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"campaign {campaign_id} is being deleted (outputs, rules and jobs, "
                                           "by a worker)", messages.SUCCESS)

    @admin.display(description="report")
    def report(self, campaign: Campaign) -> str:
        return format_html('<a href="/api/v1/campaigns/{0}/report/">JSON</a> · '
                           '<a href="/api/v1/campaigns/{0}/report/html/">HTML document</a>', campaign.pk)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:  # a subclass per request carries who creates it
            return type("CampaignCreateForm", (CampaignCreateForm,), {"user_id": request.user.pk})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [CampaignVersionInline, CampaignRunInline] if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "dataset", "template_rule", "repetitions", "tolerances", "progress", "report", "created_at",
                "created_by"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "dataset", "rule", "versions", "repetitions", "tolerances"]
        return self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleted only through the action (campaign_delete_request: outputs, rules and jobs too)

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        if change:
            return  # results are read-only
        obj.pk = form.created.pk  # written by the form's validation through the service

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None
