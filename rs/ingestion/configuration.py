"""Validation of inbox configuration (admin forms and services share it) and resolution of secret values."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

from rs.cron import InvalidCron, cron_parse
from rs.ingestion.choices import AuthKind, InboxKind
from rs.ingestion.errors import InboxConfigError

if TYPE_CHECKING:
    from rs.ingestion.models import Inbox, SamplingRule

_ENV_PREFIX = "env:"


def secret_value(value: str, *, field: str) -> str:
    """The value itself, or the environment variable it names as `env:NAME` (InboxConfigError if unset)."""
    if not value.startswith(_ENV_PREFIX):
        return value
    name = value[len(_ENV_PREFIX):]
    resolved = os.environ.get(name)
    if resolved is None:
        raise InboxConfigError(f"{field}: environment variable {name!r} is not set in this process")
    return resolved


def regex_error(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    return None


def _url_error(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "give an absolute http:// or https:// URL"
    return None


def inbox_config_errors(inbox: Inbox) -> dict[str, list[str]]:
    """Field → messages for a configuration that cannot work; empty when it is valid."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("match_regex", "ignore_regex"):
        if (message := regex_error(getattr(inbox, field))) is not None:
            add(field, message)
    if not inbox.location.strip() and inbox.kind != InboxKind.S3:
        add("location", "required")
    if inbox.kind == InboxKind.DIRECTORY:
        if inbox.location and not os.path.isabs(inbox.location):
            add("location", "give an absolute directory path")
    elif inbox.kind == InboxKind.S3:
        if inbox.location.startswith("/"):
            add("location", "an S3 prefix does not start with '/'")
        if inbox.s3_endpoint_url and (message := _url_error(inbox.s3_endpoint_url)) is not None:
            add("s3_endpoint_url", message)
        if not inbox.s3_endpoint_url and settings.RS_STORAGE != "s3":
            add("s3_endpoint_url", "required: this deployment stores products on the filesystem, not S3")
        if inbox.s3_endpoint_url and not (inbox.s3_access_key and inbox.s3_secret_key):
            add("s3_access_key", "an S3 endpoint of its own needs its own access and secret keys")
    elif inbox.kind in (InboxKind.ODATA, InboxKind.CADIP):
        if (message := _url_error(inbox.location)) is not None:
            add("location", message)
        if inbox.auth == AuthKind.BASIC and not (inbox.username and inbox.password):
            add("username", "HTTP Basic needs a user name and a password")
        if inbox.auth == AuthKind.BEARER and not inbox.token:
            add("token", "a static bearer token is required")
        if inbox.auth in (AuthKind.OAUTH2_CLIENT, AuthKind.OAUTH2_PASSWORD):
            if (message := _url_error(inbox.token_url)) is not None:
                add("token_url", message)
            if not inbox.client_id:
                add("client_id", "required for OAuth2")
        if inbox.auth == AuthKind.OAUTH2_CLIENT and not inbox.client_secret:
            add("client_secret", "the client-credentials grant needs a client secret")
        if inbox.auth == AuthKind.OAUTH2_PASSWORD and not (inbox.username and inbox.password):
            add("username", "the password grant needs a user name and a password")
        if inbox.page_size > 1000:
            add("page_size", "PRIP and CDSE serve at most 1000 items per page")
    else:
        add("kind", f"unknown inbox kind {inbox.kind!r}")
    return errors


def sampling_rule_errors(rule: SamplingRule) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if rule.cron:
        try:
            cron_parse(rule.cron)
        except InvalidCron as exc:
            errors["cron"] = [str(exc)]
        if rule.duration_s < 60:
            errors["duration_s"] = ["a cron window lasts at least 60 seconds (cron fires once a minute at most)"]
    if rule.product_type_regex and (message := regex_error(rule.product_type_regex)) is not None:
        errors["product_type_regex"] = [message]
    if not (rule.cron or rule.mission or rule.product_type_regex):
        errors["__all__"] = ["a rule needs a cron window, a mission or a product-type pattern"]
    return errors
