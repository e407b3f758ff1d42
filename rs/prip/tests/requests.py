"""How the suite sends OData requests: values percent-encoded once (like cdsetool), option names raw."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.test import Client

ROOT = "/odata/v1"


def query(*params: tuple[str, str]) -> str:
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in params)


def get(client: Client, path: str, *params: tuple[str, str], **headers: Any) -> HttpResponse:
    url = f"{ROOT}/{path}" + (f"?{query(*params)}" if params else "")
    return client.get(url, **headers)


def get_json(client: Client, path: str, *params: tuple[str, str], status: int = 200) -> Any:
    response = get(client, path, *params)
    assert response.status_code == status, response.content[:2000]
    return response.json()
