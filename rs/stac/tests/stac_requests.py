"""How the STAC suite sends requests (Django test client) and reads answers."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.test import Client

ROOT = "/stac"


def get_json(client: Client, path: str, status: int = 200, **params: str) -> Any:
    url = f"{ROOT}/{path}" + (f"?{urlencode(params)}" if params else "")
    response = client.get(url)
    assert response.status_code == status, response.content[:2000]
    return response.json()


def post_json(client: Client, path: str, body: object, status: int = 200) -> Any:
    response = client.post(f"{ROOT}/{path}", data=json.dumps(body), content_type="application/json")
    assert response.status_code == status, response.content[:2000]
    return response.json()


def ids_of(payload: dict[str, Any]) -> list[str]:
    return [feature["id"] for feature in payload["features"]]
