"""Admin of the access app: OAuth clients (secret shown once), signing keys (rotate), visibility rules, external
issuers, token sessions (revoke). Users and groups stay in Django's own admin; roles are the groups 'operator'
and 'admin'. Every write goes through rs.access.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from rs.access import services
from rs.access.models import ExternalIssuer, OAuthClient, SigningKey, TokenSession, VisibilityRule

_NEW_SECRET = "_rs_access_new_secret"  # noqa: S105 - a request attribute name


def _secret_page(request: HttpRequest, client: OAuthClient, secret: str) -> TemplateResponse:
    """The secret goes into this one response only: never into a message cookie, the session or a log."""
    response = TemplateResponse(request, "access/admin/client_secret.html", {
        **admin.site.each_context(request), "title": f"Secret of {client.client_id}", "client": client,
        "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@admin.register(OAuthClient)
class OAuthClientAdmin(admin.ModelAdmin):
    list_display = ["client_id", "name", "confidential", "grant_types", "service_user", "enabled", "created_at"]
    list_filter = ["confidential", "enabled"]
    search_fields = ["client_id", "name"]
    fields = ["client_id", "name", "confidential", "grant_types", "service_user", "enabled"]
    actions = ["secret_regenerate"]

    def save_model(self, request: HttpRequest, obj: OAuthClient, form: Any, change: bool) -> None:
        secret = services.oauth_client_save(client=obj)
        if secret:
            setattr(request, _NEW_SECRET, secret)

    def response_add(self, request: HttpRequest, obj: OAuthClient, post_url_continue: str | None = None
                     ) -> HttpResponse:
        secret = getattr(request, _NEW_SECRET, None)
        return _secret_page(request, obj, secret) if secret else super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: OAuthClient) -> HttpResponse:
        secret = getattr(request, _NEW_SECRET, None)
        return _secret_page(request, obj, secret) if secret else super().response_change(request, obj)

    @admin.action(description="Generate a new secret (the old one stops working)")
    def secret_regenerate(self, request: HttpRequest, queryset: QuerySet[OAuthClient]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one client.", messages.ERROR)
            return None
        client = queryset.get()
        return _secret_page(request, client, services.oauth_client_secret_reset(client=client))


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "state", "created_at", "activated_at", "retired_at", "verify_until"]
    list_filter = ["state"]
    fields = ["kid", "state", "created_at", "activated_at", "retired_at", "verify_until", "public_jwk"]
    readonly_fields = ["kid", "state", "created_at", "activated_at", "retired_at", "verify_until", "public_jwk"]
    actions = ["keys_rotate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retired keys go by rotation, once no token needs them

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Rotation concerns the key set, not chosen rows: let the action run with nothing ticked.
        if request.method == "POST" and request.POST.get("action") == "keys_rotate" \
                and not request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            post = request.POST.copy()
            post.setlist(helpers.ACTION_CHECKBOX_NAME, [str(pk) for pk in SigningKey.objects.values_list("pk",
                                                                                                        flat=True)[:1]])
            request.POST = post  # type: ignore[assignment]
        return super().changelist_view(request, extra_context)

    @admin.action(description="Rotate the signing keys now (next → active → retired)", permissions=["view"])
    def keys_rotate(self, request: HttpRequest, queryset: QuerySet[SigningKey]) -> None:
        key = services.signing_keys_rotate()
        self.message_user(request, f"Key {key.kid} now signs; the previous one verifies until its tokens expire.")


@admin.register(VisibilityRule)
class VisibilityRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "group", "mission", "product_types", "allow", "note"]
    list_filter = ["allow", "mission"]
    autocomplete_fields = ["user", "group"]

    def save_model(self, request: HttpRequest, obj: VisibilityRule, form: Any, change: bool) -> None:
        services.visibility_rule_save(rule=obj)

    def delete_model(self, request: HttpRequest, obj: VisibilityRule) -> None:
        services.visibility_rule_delete(rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[VisibilityRule]) -> None:
        for rule in queryset:
            services.visibility_rule_delete(rule=rule)


@admin.register(ExternalIssuer)
class ExternalIssuerAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "audiences", "enabled"]
    list_filter = ["enabled"]

    def save_model(self, request: HttpRequest, obj: ExternalIssuer, form: Any, change: bool) -> None:
        services.external_issuer_save(issuer=obj)

    def delete_model(self, request: HttpRequest, obj: ExternalIssuer) -> None:
        services.external_issuer_delete(issuer=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ExternalIssuer]) -> None:
        for issuer in queryset:
            services.external_issuer_delete(issuer=issuer)


@admin.register(TokenSession)
class TokenSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "client", "created_at", "refreshed_at", "expires_at", "revoked_at", "revoked_reason"]
    list_filter = ["client", "revoked_at"]
    search_fields = ["user__username"]
    list_select_related = ["user", "client"]
    readonly_fields = ["id", "user", "client", "scope", "created_at", "refreshed_at", "expires_at", "revoked_at",
                       "revoked_reason"]
    actions = ["sessions_revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected sessions (their tokens stop working)", permissions=["view"])
    def sessions_revoke(self, request: HttpRequest, queryset: QuerySet[TokenSession]) -> None:
        count = sum(services.session_revoke(session_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} session(s) revoked.")
