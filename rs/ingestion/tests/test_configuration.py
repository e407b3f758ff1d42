"""Inbox configuration is validated when saved (services and admin alike); secrets may come from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from rs.ingestion import services
from rs.ingestion.configuration import secret_value
from rs.ingestion.errors import InboxConfigError
from rs.ingestion.models import Inbox


@pytest.mark.parametrize(("fields", "errors"), [
    ({"kind": "directory", "location": "/data/in", "match_regex": "S1A_(IW"},
     {"match_regex": ["not a valid regular expression: missing ), unterminated subpattern at position 4"]}),
    ({"kind": "directory", "location": "data/in"}, {"location": ["give an absolute directory path"]}),
    ({"kind": "odata", "location": "ftp://prip.example/odata/v1"},
     {"location": ["give an absolute http:// or https:// URL"]}),
    ({"kind": "odata", "location": "https://prip.example/odata/v1", "auth": "basic", "username": "u"},
     {"username": ["HTTP Basic needs a user name and a password"]}),
    ({"kind": "cadip", "location": "https://cadip.example/odata/v1", "auth": "oauth2_client_credentials"},
     {"token_url": ["give an absolute http:// or https:// URL"], "client_id": ["required for OAuth2"],
      "client_secret": ["the client-credentials grant needs a client secret"]}),
    ({"kind": "odata", "location": "https://prip.example/odata/v1", "page_size": 5000},
     {"page_size": ["PRIP and CDSE serve at most 1000 items per page"]}),
    ({"kind": "s3", "location": "/in", "s3_endpoint_url": "http://s3.example"},
     {"location": ["an S3 prefix does not start with '/'"],
      "s3_access_key": ["an S3 endpoint of its own needs its own access and secret keys"]}),
])
def test_an_inbox_that_cannot_work_is_refused_with_the_field_and_reason(db, fields, errors):
    with pytest.raises(ValidationError) as refused:
        services.inbox_create(name="bad", **fields)
    assert refused.value.message_dict == errors
    assert not Inbox.objects.exists()


def test_the_admin_refuses_an_invalid_regex_when_saving(admin_client, tmp_path: Path):
    response = admin_client.post("/admin/ingestion/inbox/add/", {
        "name": "local", "kind": "directory", "enabled": "on", "location": str(tmp_path), "publish": "on",
        "poll_interval_s": 20, "match_regex": "([", "ignore_regex": "", "auth": "none", "window_s": 3600,
        "overlap_s": 300, "lag_s": 60, "page_size": 500,
        "sampling_rules-TOTAL_FORMS": 1, "sampling_rules-INITIAL_FORMS": 0,
        "sampling_rules-0-cron": "61 * * * *", "sampling_rules-0-duration_s": 3600,
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "match_regex": ["not a valid regular expression: unterminated character set at position 1"]}
    assert not Inbox.objects.exists()


def test_the_admin_saves_a_valid_inbox_with_its_sampling_rule(admin_client, tmp_path: Path):
    response = admin_client.post("/admin/ingestion/inbox/add/", {
        "name": "local", "kind": "directory", "enabled": "on", "location": str(tmp_path), "publish": "on",
        "poll_interval_s": 20, "match_regex": "", "ignore_regex": "", "auth": "none", "window_s": 3600,
        "overlap_s": 300, "lag_s": 60, "page_size": 500,
        "sampling_rules-TOTAL_FORMS": 1, "sampling_rules-INITIAL_FORMS": 0,
        "sampling_rules-0-cron": "*/30 * * * *", "sampling_rules-0-duration_s": 600,
    })
    assert response.status_code == 302
    inbox = Inbox.objects.get(name="local")
    assert [(r.cron, r.duration_s) for r in inbox.sampling_rules.all()] == [("*/30 * * * *", 600)]


def test_secrets_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RS_PRIP_PASSWORD", "s3cret")
    assert secret_value("env:RS_PRIP_PASSWORD", field="password") == "s3cret"
    assert secret_value("plain", field="password") == "plain"
    monkeypatch.delenv("RS_PRIP_PASSWORD")
    with pytest.raises(InboxConfigError, match="password: environment variable 'RS_PRIP_PASSWORD' is not set"):
        secret_value("env:RS_PRIP_PASSWORD", field="password")
