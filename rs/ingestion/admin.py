"""Admin: inboxes (configuration, sampling rules, poll now), entries (failures, retry, quarantine), sessions."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from rs.ingestion import services
from rs.ingestion.choices import EntryState, SessionState
from rs.ingestion.models import Inbox, InboxEntry, SamplingRule, Session, SessionFile
from rs.ingestion.sessions import session_missing

_SECRETS = ("s3_secret_key", "password", "token", "client_secret")


class InboxForm(forms.ModelForm):
    class Meta:
        model = Inbox
        fields = ("name", "kind", "enabled", "location", "publish", "mission", "poll_interval_s", "match_regex",
                  "ignore_regex", "s3_bucket", "s3_endpoint_url", "s3_access_key", "s3_secret_key", "s3_region",
                  "auth", "username", "password", "token", "token_url", "client_id", "client_secret", "start_date",
                  "window_s", "overlap_s", "lag_s", "page_size")
        # Secrets are not shown in clear in the page.
        widgets = {name: forms.PasswordInput(render_value=True) for name in _SECRETS}


class SamplingRuleInline(admin.TabularInline):
    model = SamplingRule
    extra = 0


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    form = InboxForm
    inlines = [SamplingRuleInline]
    list_display = ("name", "kind", "enabled", "location", "publish", "last_polled_at", "last_poll_error")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "location")
    readonly_fields = ("cursor", "next_poll_at", "poll_lease_until", "last_polled_at", "last_poll_error",
                       "created_at")
    actions = ["poll_now"]
    fieldsets = (
        (None, {"fields": ("name", "kind", "enabled", "location", "publish", "mission", "poll_interval_s")}),
        ("Selection", {"fields": ("match_regex", "ignore_regex")}),
        ("S3", {"classes": ("collapse",),
                "fields": ("s3_bucket", "s3_endpoint_url", "s3_access_key", "s3_secret_key", "s3_region")}),
        ("HTTP pickup point", {"classes": ("collapse",),
                               "fields": ("auth", "username", "password", "token", "token_url", "client_id",
                                          "client_secret", "start_date", "window_s", "overlap_s", "lag_s",
                                          "page_size")}),
        ("State", {"fields": ("cursor", "next_poll_at", "poll_lease_until", "last_polled_at", "last_poll_error",
                              "created_at")}),
    )

    @admin.action(description="Poll now (workers ingest what is found)")
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Inbox]) -> None:
        for inbox in queryset:
            services.inbox_poll_enqueue(inbox_id=inbox.pk)
        self.message_user(request, f"{queryset.count()} poll(s) sent to the ingestion workers", messages.SUCCESS)


@admin.register(InboxEntry)
class InboxEntryAdmin(admin.ModelAdmin):
    list_display = ("key", "inbox", "state", "attempts", "reason", "quarantine_key", "source_time", "finished_at")
    list_filter = ("state", "inbox")
    search_fields = ("key", "product_name")
    list_select_related = ("inbox",)
    show_full_result_count = False  # counting millions of entries on every page load is not worth it
    actions = ["retry", "purge_quarantine"]

    def get_readonly_fields(self, request: HttpRequest, obj: InboxEntry | None = None) -> list[str]:
        return [f.name for f in InboxEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry the selected failed entries")
    def retry(self, request: HttpRequest, queryset: QuerySet[InboxEntry]) -> None:
        ids = list(queryset.filter(state=EntryState.FAILED).values_list("id", flat=True))
        count = services.entries_retry(entry_ids=ids)
        self.message_user(request, f"{count} entr{'y' if count == 1 else 'ies'} queued again", messages.SUCCESS)

    @admin.action(description="Delete the quarantine copies of the selected entries")
    def purge_quarantine(self, request: HttpRequest, queryset: QuerySet[InboxEntry]) -> None:
        count = services.quarantine_purge(entry_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} quarantine cop{'y' if count == 1 else 'ies'} deleted", messages.SUCCESS)


class SessionFileInline(admin.TabularInline):
    model = SessionFile
    extra = 0
    can_delete = False
    fields = ("name", "channel", "kind", "chunk", "product_id", "created_at")
    readonly_fields = fields


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("session_id", "satellite", "station", "state", "first_seen_at", "completed_at", "missing")
    list_filter = ("state", "satellite")
    search_fields = ("session_id",)
    inlines = [SessionFileInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Session | None = None) -> list[str]:
        return [f.name for f in Session._meta.fields] + ["missing"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        return super().get_queryset(request).prefetch_related("files")

    @admin.display(description="missing")
    def missing(self, obj: Session) -> str:
        if obj.state == SessionState.COMPLETE:
            return "—"
        missing = session_missing(obj)
        lines = [f"DSIB of channel {c}" for c in missing.dsib_channels] + list(missing.chunks[:20])
        if len(missing.chunks) > 20:
            lines.append(f"… and {len(missing.chunks) - 20} more chunks")
        return format_html_join("", "{}<br>", ((line,) for line in lines)) or "—"
