from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

# Until rs.access is in rs/settings.py these tests run with --ds=rs.access.tests.settings_access only.
if "rs.access" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]

PASSWORD = "correct horse battery staple"
ISSUER = "http://testserver/auth/realms/rs"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """PBKDF2 at Django's 1M iterations costs ~0.5 s a login; the throttling tests log in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    from rs.access.authentication import basic_memo_clear

    basic_memo_clear()
    yield
    basic_memo_clear()


@pytest.fixture
def alice(db: None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("alice", "alice@example.org", PASSWORD)


@pytest.fixture
def operator(db: None) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("olga", "olga@example.org", PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    return user


@pytest.fixture
def public_client(db: None) -> Any:
    """Created by a migration; created again after a transactional test flushed the tables."""
    from rs.access.models import OAuthClient

    return OAuthClient.objects.get_or_create(client_id="cdse-public",
                                             defaults={"grant_types": "password refresh_token"})[0]


@pytest.fixture
def machine_client(db: None) -> tuple[Any, str]:
    """A confidential client acting as the service account 'prip-robot'."""
    from django.contrib.auth import get_user_model

    from rs.access import services

    get_user_model().objects.create_user("prip-robot", "", None)
    return services.oauth_client_create(client_id="prip-monitor", confidential=True,
                                        grant_types="client_credentials", service_username="prip-robot")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run on-commit announcements (key-set version, revocations) inside a test transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def refusal(action: Any) -> str:
    """The message of the InvalidCredentials that `action()` raises."""
    from rs.access.errors import InvalidCredentials

    with pytest.raises(InvalidCredentials) as refused:
        action()
    return str(refused.value)


class Answer:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, *, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
         ) -> Answer:
    """A real HTTP request (urllib), errors included."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if form is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())
