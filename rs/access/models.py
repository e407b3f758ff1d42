"""Tables of the access app: OAuth clients, signing keys, token sessions and refresh tokens, visibility rules and
trusted external issuers. Users and groups are Django's (roles are the groups named after them, see principals.py).

Rows are written through rs.access.services only (the admin calls them too)."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from rs.access.choices import GrantType, KeyState, Role
from rs.catalog.choices import Mission


def _validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"not a valid regular expression: {exc}") from None


def _validate_grants(value: str) -> None:
    unknown = set(value.split()) - set(GrantType.values)
    if unknown:
        raise ValidationError(f"unknown grant type(s): {', '.join(sorted(unknown))}")


class OAuthClient(models.Model):
    """An application allowed to ask the token endpoint for tokens (Keycloak's 'client').

    A public client (no secret: eodag's and cdsetool's "cdse-public") may use the password and refresh grants; a
    confidential one authenticates with its secret and may act as its service user (client_credentials).
    """

    client_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True, default="")
    confidential = models.BooleanField(default=False, help_text="Needs its secret at the token endpoint.")
    # SHA-256 of a 256-bit random secret: a slow password hash adds nothing against a secret that cannot be guessed.
    secret_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    grant_types = models.CharField(
        max_length=100, default="password refresh_token", validators=[_validate_grants],
        help_text="Space-separated: password, refresh_token, client_credentials.",
    )
    service_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The account whose rights a client_credentials token carries.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "OAuth client"

    def __str__(self) -> str:
        return self.client_id

    def allows(self, grant: str) -> bool:
        return grant in self.grant_types.split()


class SigningKey(models.Model):
    """An RSA key pair signing our access tokens: next (published ahead) → active (signing) → retired (published
    until every token it signed has expired, then deleted)."""

    kid = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=8, choices=KeyState.choices, default=KeyState.NEXT)
    # PKCS#8 PEM encrypted with RS_ACCESS_KEY_PASSPHRASE; never shown, never leaves the server.
    private_key_pem = models.TextField(editable=False)
    public_jwk = models.JSONField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    verify_until = models.DateTimeField(null=True, blank=True, help_text="Retired: published until then.")

    class Meta:
        constraints = [
            # At most one active and one next key: concurrent rotations cannot both win.
            models.UniqueConstraint(fields=["state"], condition=Q(state="active"), name="signingkey_one_active"),
            models.UniqueConstraint(fields=["state"], condition=Q(state="next"), name="signingkey_one_next"),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"


class TokenSession(models.Model):
    """One login (password grant) and its chain of refresh tokens; revoking it ends every token of the chain."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="sessions")
    scope = models.CharField(max_length=200, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(help_text="No refresh after this, whatever the refresh token says.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="tokensession_user_created",
                                condition=Q(revoked_at__isnull=True))]

    def __str__(self) -> str:
        return f"session {self.id} of user {self.user_id}"


class RefreshToken(models.Model):
    """One refresh token (stored as its SHA-256 only); used once, then replaced by the next of its session."""

    token_sha256 = models.CharField(max_length=64, unique=True)
    session = models.ForeignKey(TokenSession, on_delete=models.CASCADE, related_name="refresh_tokens")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.pk} of {self.session_id}"


class VisibilityRule(models.Model):
    """Which products a user, a group, or everybody (neither set) may see and download.

    The rules that apply to a principal are combined as: (union of its allow rules, or everything when it has none
    and RS_ACCESS_DEFAULT_VISIBILITY=all) minus the union of its deny rules. Operators and admins see everything.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    group = models.ForeignKey("auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    mission = models.CharField(max_length=2, choices=Mission.choices, blank=True, default="",
                               help_text="Empty: every mission.")
    product_types = models.CharField(
        max_length=500, blank=True, default="", validators=[_validate_regex],
        help_text="Regular expression on the whole product type (e.g. 'IW_GRDH_1S|S2MSI2A'); empty: every type.",
    )
    allow = models.BooleanField(default=True, help_text="Unticked: a deny rule (deny wins over allow).")
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(user__isnull=True) | Q(group__isnull=True),
                                              name="visibilityrule_user_or_group",
                                              violation_error_message="A rule names a user or a group, not both.")]

    def __str__(self) -> str:
        who = f"user {self.user}" if self.user_id else f"group {self.group}" if self.group_id else "everybody"
        what = f"{self.mission or 'any mission'} / {self.product_types or 'any type'}"
        return f"{'allow' if self.allow else 'deny'} {who}: {what}"


class ExternalIssuer(models.Model):
    """An OIDC provider (e.g. a Keycloak realm) whose access tokens we accept as our own."""

    name = models.CharField(max_length=100, unique=True)
    issuer = models.URLField(max_length=500, unique=True, help_text="Exactly the 'iss' claim of its tokens.")
    jwks_url = models.URLField(max_length=500, blank=True, default="")
    jwks_inline = models.JSONField(null=True, blank=True, help_text='{"keys": [...]}, instead of a JWKS URL.')
    audiences = models.CharField(max_length=500, help_text="Space-separated; a token must name one of them.")
    algorithms = models.CharField(max_length=100, default="RS256", help_text="Space-separated, e.g. 'RS256 ES256'.")
    username_claim = models.CharField(max_length=100, default="preferred_username")
    roles_claim = models.CharField(max_length=100, default="realm_access.roles", blank=True,
                                   help_text="Dotted path to a list of role names.")
    groups_claim = models.CharField(max_length=100, default="groups", blank=True)
    role_mapping = models.JSONField(default=dict, blank=True,
                                    help_text='Their role → ours, e.g. {"rs-operator": "operator"}; our own '
                                              "role names are recognised as they are.")
    default_role = models.CharField(max_length=16, choices=Role.choices, blank=True, default=Role.USER,
                                    help_text="Given to every principal of this issuer (empty: none).")
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(jwks_url="") | Q(jwks_inline__isnull=False),
                                              name="externalissuer_has_keys",
                                              violation_error_message="Give a JWKS URL or an inline JWKS.")]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})"

    def clean(self) -> None:
        from rs.access.external_issuers import ALLOWED_ALGORITHMS, jwks_parse

        if self.jwks_inline is not None:
            try:
                if not jwks_parse(self.jwks_inline):
                    raise ValueError("no usable signing key")
            except ValueError as exc:
                raise ValidationError({"jwks_inline": f'Not a usable JWKS {{"keys": [...]}}: {exc}.'}) from None
        if not self.audiences.split():
            raise ValidationError({"audiences": "At least one audience."})
        mapping = self.role_mapping
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and v in Role.values
                                                    for k, v in mapping.items()):
            ours = ", ".join(Role.values)
            raise ValidationError({"role_mapping": f"An object of their role names to ours ({ours})."})
        refused = set(self.algorithms.split()) - ALLOWED_ALGORITHMS
        if refused or not self.algorithms.split():
            allowed = ", ".join(sorted(ALLOWED_ALGORITHMS))
            raise ValidationError({"algorithms": f"Use asymmetric algorithms among {allowed}."})
