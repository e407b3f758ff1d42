"""A logging filter that keeps credentials out of the logs.

Django attaches the request to its `django.request` records (401, 403, 500…); the JSON formatter writes every
extra attribute, and a request's repr holds its query string — where eodag puts its `?token=`. The filter
replaces that attribute by its repr with credential parameters redacted. Install it on every handler:

    LOGGING["filters"] = {"redact_secrets": {"()": "rs.access.log_redaction.SecretRedactionFilter"}}
    LOGGING["handlers"]["console"]["filters"] = ["redact_secrets"]
"""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest

SECRET_PARAMETERS = ("token", "access_token", "refresh_token", "id_token", "password", "client_secret", "code")
_SECRET_QUERY = re.compile(rf"(?i)(?<=[?&])({'|'.join(SECRET_PARAMETERS)})=[^&#'\"\s]*")


def redact(text: str) -> str:
    """`text` with the values of credential query parameters replaced by '[redacted]'."""
    return _SECRET_QUERY.sub(r"\1=[redacted]", text)


class SecretRedactionFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            record.request = redact(repr(request))
        return True
