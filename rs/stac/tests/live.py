"""Real HTTP against the live test server (urllib): the PRIP's OData and the STAC API, with paging followed."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode


def request(url: str, body: object = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json", **({"Content-Type": "application/json"} if data else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def odata_names(base: str, filter_: str, orderby: str | None = None) -> list[str]:
    """Every product Name of an OData search, following @odata.nextLink."""
    url = f"{base}/odata/v1/Products?$top=1000&$filter={quote(filter_, safe='')}"
    if orderby:
        url += f"&$orderby={quote(orderby, safe='')}"
    names: list[str] = []
    while url:
        status, payload = request(url)
        assert status == 200, payload
        names += [item["Name"] for item in payload["value"]]
        url = payload.get("@odata.nextLink")
    return names


def stac_ids_get(base: str, path: str = "search", **params: str) -> list[str]:
    """Every item id of a STAC GET search, following next links."""
    url: str | None = f"{base}/stac/{path}?{urlencode(params)}"
    ids: list[str] = []
    while url:
        status, payload = request(url)
        assert status == 200, payload
        ids += [feature["id"] for feature in payload["features"]]
        url = next((link["href"] for link in payload["links"] if link["rel"] == "next"), None)
    return ids


def stac_ids_post(base: str, body: dict[str, Any]) -> list[str]:
    """Every item id of a STAC POST search, following next links (POST with the link's body)."""
    url, current = f"{base}/stac/search", body
    ids: list[str] = []
    while True:
        status, payload = request(url, current)
        assert status == 200, payload
        ids += [feature["id"] for feature in payload["features"]]
        link = next((link for link in payload["links"] if link["rel"] == "next"), None)
        if link is None:
            return ids
        assert link["method"] == "POST" and link["merge"] is False
        url, current = link["href"], link["body"]
