"""Operator views of production: import Task Tables and compare versions, edit rules and input timeouts, see why a
job waits and act on it. Imports and job actions go through the services; rules are configuration edited here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from rs.errors import DomainError
from rs.map_widgets import OfflineGISModelAdmin
from rs.production import selectors, services
from rs.production.choices import JobOrderDialect
from rs.production.models import (
    InputTimeout,
    Job,
    JobMember,
    JobMissingOutput,
    JobOutput,
    JobTransition,
    ProcessorVersion,
    ProductionRule,
    RuleParameter,
    RuleRecurringWindow,
    RuleTimeWindow,
    TaskRun,
)
from rs.production.orders import admin as order_admin  # noqa: F401 - registers the order admin
from rs.production.tasktables.parser import TaskTableError, tasktable_parse


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- processors ------------------------------------------------------------------------------------------------------


class TaskTableUploadForm(forms.ModelForm):
    table_file = forms.FileField(label="Task Table", help_text="The Task Table XML of the new processor version.")
    dialect = forms.ChoiceField(choices=[("", "guess from the processor"), *JobOrderDialect.choices], required=False,
                                label="JobOrder dialect")

    class Meta:
        model = ProcessorVersion
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("table_file")
        if upload is None:
            return cleaned
        data = upload.read()
        try:
            table = tasktable_parse(data)
        except TaskTableError as exc:
            raise forms.ValidationError({"table_file": f"{exc.element}: {exc.reason}"}) from None
        if ProcessorVersion.objects.filter(processor__name=table.processor_name, version=table.version).exists():
            raise forms.ValidationError({"table_file": f"{table.processor_name} {table.version} is already imported: "
                                                       "a changed table needs a new <Version>"})
        cleaned["table_bytes"] = data
        return cleaned


@admin.register(ProcessorVersion)
class ProcessorVersionAdmin(admin.ModelAdmin):
    list_display = ("processor", "version", "joborder_dialect", "max_time_s", "min_disk_space_mb", "imported_at")
    list_filter = ("joborder_dialect",)
    search_fields = ("processor__name", "=version")
    actions = ("compare_selected",)
    readonly_fields = ("processor", "version", "test", "min_disk_space_mb", "max_time_s", "sensing_time_flag",
                       "spelling", "sha256", "imported_at", "imported_by", "structure", "compare")
    fieldsets = (
        (None, {"fields": ("processor", "version", "joborder_dialect", "test", "max_time_s", "min_disk_space_mb",
                           "sensing_time_flag", "spelling", "sha256", "imported_at", "imported_by")}),
        ("Task Table", {"fields": ("structure", "compare")}),
    )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TaskTableUploadForm
            kwargs["fields"] = ["table_file", "dialect"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ("table_file", "dialect")}),)
        return self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # jobs point at the exact version they were prepared with

    def save_model(self, request: HttpRequest, obj: ProcessorVersion, form: Any, change: bool) -> None:
        if change:  # only the JobOrder dialect is editable
            ProcessorVersion.objects.filter(pk=obj.pk).update(joborder_dialect=obj.joborder_dialect)
            return
        version = services.processor_import(data=form.cleaned_data["table_bytes"],
                                            dialect=form.cleaned_data.get("dialect") or "",
                                            imported_by_id=request.user.pk)
        obj.__dict__.update(version.__dict__)  # the admin redirects to the row the service created

    @admin.display(description="pools, tasks, inputs and outputs")
    def structure(self, obj: ProcessorVersion) -> SafeString:
        table = selectors.processor_tasktable(version=obj)
        rows = []
        for pool_no, pool in enumerate(table.pools, start=1):
            for task in pool.tasks:
                for item in task.inputs:
                    if item.is_ref:
                        rows.append((pool_no, task.name, f"ref {item.ref}", "", ""))
                        continue
                    alternatives = "; ".join(f"{a.order}: {a.file_type} {a.policy}({a.t0:g}, {a.t1:g}) {a.origin}"
                                             for a in item.alternatives)
                    rows.append((pool_no, task.name, item.id or item.key, f"{item.mode} "
                                 f"{'mandatory' if item.mandatory else 'optional'}", alternatives))
                for out in task.outputs:
                    rows.append((pool_no, task.name, f"→ {out.file_type}", f"{out.destination} "
                                 f"{'mandatory' if out.mandatory else 'optional'}", out.file_name_type))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table><tr><th>pool</th><th>task</th><th>input / output</th><th></th>"
                           "<th>alternatives (order: type policy(T0, T1) origin)</th></tr>{}</table>", body)

    @admin.display(description="compare with")
    def compare(self, obj: ProcessorVersion) -> SafeString:
        others = ProcessorVersion.objects.filter(processor=obj.processor).exclude(pk=obj.pk).order_by("-imported_at")
        links = format_html_join(", ", '<a href="{}?against={}">{}</a>',
                                 ((reverse("admin:production_processorversion_diff", args=[obj.pk]), o.pk, o.version)
                                  for o in others))
        return links or format_html("{}", "no other version of this processor")

    def get_urls(self) -> list[URLPattern]:
        diff = path("<int:pk>/diff/", self.admin_site.admin_view(self.diff_view),
                    name="production_processorversion_diff")
        return [diff, *super().get_urls()]

    def diff_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            after = selectors.processor_version_by_id(version_id=pk)
            before = selectors.processor_version_by_id(version_id=int(request.GET.get("against", "")))
        except (DomainError, ValueError):
            self.message_user(request, "Choose two existing processor versions to compare.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:production_processorversion_changelist"))
        context = {**self.admin_site.each_context(request), "title": f"{after.processor.name}: {before.version} → "
                   f"{after.version}", "before": before, "after": after, "opts": self.model._meta,
                   "changes": selectors.processor_diff(before=before, after=after)}
        return TemplateResponse(request, "admin/production/processorversion/diff.html", context)

    @admin.action(description="Compare the two selected versions")
    def compare_selected(self, request: HttpRequest, queryset: QuerySet[ProcessorVersion]) -> HttpResponse | None:
        versions = list(queryset.order_by("imported_at"))
        if len(versions) != 2:
            self.message_user(request, "Select exactly two versions to compare.", messages.ERROR)
            return None
        url = reverse("admin:production_processorversion_diff", args=[versions[1].pk])
        return HttpResponseRedirect(f"{url}?against={versions[0].pk}")


# --- rules -----------------------------------------------------------------------------------------------------------


class RuleParameterInline(admin.TabularInline):
    model = RuleParameter
    extra = 0
    fields = ("position", "name", "value")


class RuleTimeWindowInline(admin.TabularInline):
    model = RuleTimeWindow
    extra = 0


class RuleRecurringWindowInline(admin.TabularInline):
    model = RuleRecurringWindow
    extra = 0
    fields = ("cron", "duration_s")


class RuleOwnerFilter(admin.SimpleListFilter):
    """By default the list shows the operators' rules, not the rules ad-hoc orders own (see their order)."""

    title = "owner"
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("orders", "Ad-hoc orders"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        for value, label in ((None, "Operators"), ("orders", "Ad-hoc orders"), ("all", "All")):
            yield {"selected": self.value() == value, "display": label,
                   "query_string": changelist.get_query_string({self.parameter_name: value}) if value
                   else changelist.get_query_string(remove=[self.parameter_name])}

    def queryset(self, request: HttpRequest, queryset: QuerySet[ProductionRule]) -> QuerySet[ProductionRule]:
        if self.value() == "orders":
            return queryset.filter(order__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(order__isnull=True)


@admin.register(ProductionRule)
class ProductionRuleAdmin(OfflineGISModelAdmin):
    list_display = ("name", "enabled", "processor_version", "trigger", "product_types", "grouping", "priority")
    list_filter = (RuleOwnerFilter, "enabled", "trigger", "grouping", "mission")
    search_fields = ("name", "product_types")
    inlines = (RuleParameterInline, RuleTimeWindowInline, RuleRecurringWindowInline)
    readonly_fields = ("last_run_at", "output_scope", "output_retention_days", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "enabled", "processor_version")}),
        ("Trigger", {"fields": ("trigger", "mission", "platform", "product_types", "family", "timeliness",
                                "interval_minutes", "last_run_at")}),
        ("Jobs", {"fields": ("grouping", "window_s", "settle_s", "granule_gap_s", "granule_wait_edges", "input_mode",
                             "priority", "priority_by_timeliness",
                             "mandatory_timeout_s", "processing_station", "acquisition_station",
                             "sensing_time_from", "wide_interval_types", "retry_after_max_time", "publish_outputs",
                             "output_scope", "output_retention_days")}),
        ("Sampled systematic production", {"fields": ("sample_every_nth_datatake", "area")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )


@admin.register(InputTimeout)
class InputTimeoutAdmin(admin.ModelAdmin):
    list_display = ("position", "processor_pattern", "version_pattern", "input_pattern", "timeliness_pattern",
                    "wait_from_creation_s", "wait_from_sensing_s")
    list_editable = ("wait_from_creation_s", "wait_from_sensing_s")
    list_display_links = ("position",)


# --- jobs ------------------------------------------------------------------------------------------------------------


class TransitionInline(ReadOnlyInline):
    model = JobTransition
    fields = readonly_fields = ("at", "from_state", "to_state", "reason")


class MemberInline(ReadOnlyInline):
    model = JobMember
    fields = readonly_fields = ("product_name", "start", "stop", "added_at")
    verbose_name_plural = "triggering products"


class TaskRunInline(ReadOnlyInline):
    model = TaskRun
    fields = readonly_fields = ("run", "pool", "name", "worker", "started_at", "exit_code", "signal", "outcome",
                                "wall_s", "cpu_user_s", "cpu_system_s", "max_rss_kib", "log_lines_dropped")
    verbose_name_plural = "task runs"


class OutputInline(ReadOnlyInline):
    model = JobOutput
    fields = readonly_fields = ("name", "product_type", "run", "product_id", "size", "md5", "published",
                                "registered_at")
    verbose_name_plural = "outputs (registered, or planned by an interrupted run)"


class MissingOutputInline(ReadOnlyInline):
    model = JobMissingOutput
    fields = readonly_fields = ("product_type", "mandatory", "expected_count", "recorded_at")
    verbose_name_plural = "missing outputs"


LOG_LINES_SHOWN = 300


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "rule", "group_key", "state", "priority", "created_at", "next_check_at")
    list_filter = ("state", "priority", "rule")
    search_fields = ("=id", "group_key__startswith")
    show_full_result_count = False
    list_select_related = ("rule",)
    actions = ("cancel_selected", "retry_selected", "resubmit_selected")
    inlines = (MemberInline, TransitionInline, TaskRunInline, OutputInline, MissingOutputInline)
    fieldsets = (
        (None, {"fields": ("rule", "processor_version", "group_key", "state", "reason", "why_waiting")}),
        ("Job", {"fields": ("mission", "platform", "timeliness", "input_mode", "acquisition_mode",
                            "instrument_configuration_id", "polarisation", "priority", "queue", "interval_start",
                            "interval_stop", "sensing_start", "sensing_stop", "mandatory_deadline_at",
                            "settle_until", "next_check_at", "attempts")}),
        ("Times", {"fields": ("created_at", "waiting_at", "ready_at", "queued_at", "running_at", "succeeded_at",
                              "failed_at", "cancelled_at", "retrying_at")}),
        ("Execution", {"fields": ("run", "worker", "lease_until", "retry_at", "automatic_retries",
                                  "workdir_archive_key", "log_text")}),
        ("JobOrder", {"fields": ("joborder_text",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Job._meta.concrete_fields] + ["why_waiting", "joborder_text", "log_text"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are created by preparation

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Job, form: Any, change: bool) -> None:
        pass  # read-only: state changes go through the actions

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass

    @admin.display(description="why is this job waiting?")
    def why_waiting(self, obj: Job) -> SafeString:
        why = selectors.job_why(job_id=obj.pk)
        rows = []
        for item in why["inputs"]:
            tried = "; ".join(f"{a['order']}: {a['policy']} {a['file_type']} "
                              f"[{(a['window'] or ['', ''])[0]} … {(a['window'] or ['', ''])[1]}] → "
                              f"{len(a['found'])} found" for a in item["alternatives"])
            files = ", ".join(f["name"] for f in item["files"])
            rows.append((item["key"], "mandatory" if item["mandatory"] else "optional", item["status"],
                         files or item["reason"], tried, item["gives_up_at"] or ""))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                                rows)
        return format_html("<p>{} — gives up at {}</p><table><tr><th>input</th><th></th><th>status</th>"
                           "<th>files / reason</th><th>alternatives tried</th><th>gives up at</th></tr>{}</table>",
                           why["summary"], why["gives_up_at"] or "-", body)

    @admin.display(description="log of the latest run")
    def log_text(self, obj: Job) -> SafeString:
        lines = list(selectors.job_log(job_id=obj.pk, limit=LOG_LINES_SHOWN))
        if not lines:
            return format_html("<p>{}</p>", "(no log yet)")
        more = f"first {LOG_LINES_SHOWN} lines; the API pages through the rest" if len(lines) == LOG_LINES_SHOWN else ""
        body = format_html_join("\n", "{} [{}] {} {}", ((f"{line.at:%H:%M:%S.%f}", line.level, line.task or "rs",
                                                        line.message) for line in lines))
        return format_html("<pre style='white-space: pre-wrap'>{}</pre><p>{}</p>", body, more)

    @admin.display(description="JobOrder")
    def joborder_text(self, obj: Job) -> SafeString:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", obj.joborder or "(written when ready)")

    def _each(self, request: HttpRequest, queryset: QuerySet[Job], action: Any, done: str) -> None:
        count = 0
        for job_id in queryset.values_list("pk", flat=True):
            try:
                action(job_id=job_id)
                count += 1
            except DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if count:
            self.message_user(request, f"{count} job(s) {done}.", messages.SUCCESS)

    @admin.action(description="Cancel the selected jobs")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.job_cancel, "cancelled")

    @admin.action(description="Retry the selected failed (or retrying) jobs")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.job_retry, "retried")

    @admin.action(description="Resubmit the selected finished jobs (as new jobs)")
    def resubmit_selected(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each(request, queryset, services.job_resubmit, "resubmitted")
