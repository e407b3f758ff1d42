"""One scenario run on both databases by tests/test_embedded_parity.py: the reference PRIP catalog (with fixed Ids),
a representative list of OData queries, then the same products evicted or deleted and queries on DeletedProducts,
and the case-insensitive searches (quarantine reasons, admin search). `scenario()` returns every answer as plain
data, labels instead of Ids, so that the two runs compare as they are.

Run directly (`python -m tests.embedded_parity DIR`) it migrates the configured database and prints the answers as
JSON: that is how the test runs it on a fresh SpatiaLite database."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Products are labelled as in rs/prip/tests/catalog.py; their Ids are fixed so that Id text functions can be asked.
LABELS = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P12")
IDS = {label: uuid.UUID(f"{n:08x}-5a5a-4b4b-8c8c-{n:012x}") for n, label in enumerate(LABELS, start=1)}
STRING_ATTR = ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq '{}' and "
               "att/OData.CSC.StringAttribute/{})")
INTEGER_ATTR = ("Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq '{}' and "
                "att/OData.CSC.IntegerAttribute/{})")
DOUBLE_ATTR = ("Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq '{}' and "
               "att/OData.CSC.DoubleAttribute/{})")
DATE_ATTR = ("Attributes/OData.CSC.DateTimeOffsetAttribute/any(att:att/Name eq '{}' and "
             "att/OData.CSC.DateTimeOffsetAttribute/{})")
BOOLEAN_ATTR = ("Attributes/OData.CSC.BooleanAttribute/any(att:att/Name eq '{}' and "
                "att/OData.CSC.BooleanAttribute/{})")


def _intersects(wkt: str) -> str:
    return f"OData.CSC.Intersects(area=geography'SRID=4326;{wkt}')"


ITALY_AOI = _intersects("POLYGON ((10 45, 11 45, 11 46, 10 46, 10 45))")
DATELINE_AOI = _intersects("POLYGON ((177.5 50, -174.5 50, -174.5 53, 177.5 53, 177.5 50))")  # across ±180°
NADIR_AOI = _intersects("LINESTRING (105.5 -63.5, 108.5 -64.5)")

# (query of Products, the expected labels in order, the expected @odata.count with $count=true); a query without
# $orderby is sorted by Name.
Query = tuple[dict[str, str], list[str], int | None]
PRODUCT_QUERIES: list[Query] = [
    ({"$filter": "startswith(Name,'S1A_IW')"}, ["P1", "P12", "P4", "P3"], None),
    ({"$filter": "startswith(Name,'s1a_iw')"}, [], None),
    ({"$filter": "endswith(Name,'.SEN3')"}, ["P8"], None),
    ({"$filter": "endswith(Name,'.safe')"}, [], None),
    ({"$filter": "contains(Name,'_SLC_')"}, ["P3"], None),
    ({"$filter": "contains(Name,'_Slc_')"}, [], None),
    ({"$filter": "contains(Name,'O''BRIEN')"}, ["P12"], None),
    ({"$filter": "contains(Id,'03-5a5a-4b4b')"}, ["P3"], None),
    ({"$filter": "contains(Id,'03-5A5A-4B4B')"}, [], None),
    ({"$filter": "startswith(Id,'0000000a-5a5a')"}, ["P12"], None),
    ({"$filter": "endswith(Id,'-000000000002')"}, ["P2"], None),
    ({"$filter": "ContentDate/Start lt 2024-06-06T00:00:00.000Z"}, ["P1", "P2"], None),
    ({"$filter": "ContentDate/Start ge 2024-06-07T00:00:00Z and ContentDate/End lt 2024-06-10T00:00:00Z"},
     ["P4", "P5", "P6"], None),
    ({"$filter": "PublicationDate eq 2024-07-01T03:00:00.000Z"}, ["P3"], None),
    ({"$filter": STRING_ATTR.format("orbitDirection", "Value eq 'DESCENDING'")}, ["P1"], None),
    ({"$filter": STRING_ATTR.format("productType", "Value eq 'GRD'")}, ["P1", "P12", "P2"], None),
    ({"$filter": "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'polarisationChannels' and "
                 "contains(att/OData.CSC.StringAttribute/Value,'VH'))"}, ["P1", "P3"], None),
    ({"$filter": INTEGER_ATTR.format("relativeOrbitNumber", "Value eq 51")}, ["P1", "P4", "P3"], None),
    ({"$filter": INTEGER_ATTR.format("relativeOrbitNumber", "Value gt 11 and att/OData.CSC.IntegerAttribute/"
                                                            "Value lt 51")}, ["P2"], None),
    ({"$filter": INTEGER_ATTR.format("orbitNumber", "Value ge 54000") + " and " +
                 INTEGER_ATTR.format("orbitNumber", "Value le 55000")}, ["P1"], None),
    ({"$filter": DOUBLE_ATTR.format("cloudCover", "Value lt 50.0")}, ["P6", "P8"], None),
    ({"$filter": DOUBLE_ATTR.format("cloudCover", "Value ge 12.5 and att/OData.CSC.DoubleAttribute/Value le 40")},
     ["P6", "P8"], None),
    ({"$filter": DATE_ATTR.format("processingDate", "Value ge 2024-06-05T00:00:00Z and "
                                                    "att/OData.CSC.DateTimeOffsetAttribute/Value lt "
                                                    "2024-06-06T12:00:00Z")}, ["P3", "P2"], None),
    ({"$filter": BOOLEAN_ATTR.format("sliceProductFlag", "Value eq true")}, ["P1"], None),
    ({"$filter": ITALY_AOI}, ["P3", "P6", "P7"], None),
    ({"$filter": DATELINE_AOI}, ["P8"], None),
    ({"$filter": NADIR_AOI}, ["P5"], None),
    ({"$filter": "Collection/Name eq 'SENTINEL-1' and " + ITALY_AOI}, ["P3"], None),
    ({"$orderby": "ContentDate/Start desc", "$top": "3", "$skip": "1"}, ["P12", "P8", "P7"], None),
    ({"$orderby": "PublicationDate desc", "$top": "2", "$skip": "3", "$count": "true"}, ["P7", "P6"], 10),
    ({"$filter": "startswith(Name,'S1')", "$orderby": "ContentLength desc", "$top": "2", "$count": "true"},
     ["P12", "P9"], 7),
]
COUNT_QUERIES: list[tuple[str, int]] = [
    ("Collection/Name eq 'SENTINEL-2'", 2),
    ("contains(Name,'GRD') or " + DATELINE_AOI, 4),
    ("contains(Id,'-5a5a-')", 10),
]
# Removed after the Products queries: P1 and P6 deleted, P2 and P4 evicted.
DELETED = {"P1": "delete", "P2": "evict", "P4": "evict", "P6": "delete"}
DELETED_QUERIES: list[Query] = [
    ({"$filter": STRING_ATTR.format("productType", "Value eq 'IW_RAW__0S'")}, ["P4"], None),
    ({"$filter": STRING_ATTR.format("polarisationChannels", "Value in ('HH', 'VV&VH')"), "$count": "true"},
     ["P1", "P2"], 2),
    ({"$filter": INTEGER_ATTR.format("relativeOrbitNumber", "Value eq 51")}, ["P1", "P4"], None),
    ({"$filter": DOUBLE_ATTR.format("cloudCover", "Value eq 12.5")}, ["P6"], None),
    ({"$filter": BOOLEAN_ATTR.format("sliceProductFlag", "Value eq false")}, ["P2"], None),
    ({"$filter": "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'tileId')"}, ["P6"], None),
    ({"$filter": "contains(Id,'-000000000004')"}, ["P4"], None),
    ({"$filter": "ContentDate/Start ge 2024-06-05T00:00:00Z", "$orderby": "ContentDate/Start desc", "$top": "2"},
     ["P6", "P4"], None),
]
QUARANTINE_REASONS = ["UNRECOGNISED NAME", "Unrecognised Name: GARBAGE.BIN", "checksum"]
ADMIN_SEARCHES = ["PARITY-inbox", "parity-INBOX alpha", "nothing-like-it"]


def _labels(payload: dict[str, Any]) -> list[str]:
    by_id = {str(product_id): label for label, product_id in IDS.items()}
    return [by_id.get(item["Id"], item["Id"]) for item in payload["value"]]


def _get(client: Any, path: str, params: dict[str, str]) -> dict[str, Any]:
    url = f"/odata/v1/{path}?" + "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url}: {response.status_code} {response.content[:1000]!r}")
    return response.json()


def _answer(client: Any, path: str, params: dict[str, str]) -> dict[str, Any]:
    payload = _get(client, path, {"$orderby": "Name", **params} if path == "Products" else params)
    return {"labels": _labels(payload), "count": payload.get("@odata.count")}


def _catalog_build() -> None:
    from rs.prip.tests.catalog import SPECS, register

    for index, spec in enumerate(SPECS, start=1):
        register(spec, index=index, product_id=IDS[spec.label])


def _products_remove() -> None:
    from rs.catalog import services

    for label, how in DELETED.items():
        if how == "evict":
            services.product_evict(product_id=IDS[label])
        else:
            services.product_delete(product_id=IDS[label])


def _quarantine_build(directory: Path) -> None:
    from rs.ingestion.tests.ingestion_support import directory_inbox, ingest_now

    inbox = directory_inbox(directory / "alpha", name="Parity-Inbox-Alpha")
    (directory / "alpha" / "garbage.bin").write_bytes(b"not a product")
    ingest_now(inbox)


def _quarantine_search(reason: str) -> list[str]:
    from rs.ingestion import selectors

    return [entry.key for entry in selectors.entries_failed(reason=reason)]


def _admin_search(term: str) -> list[str]:
    from django.contrib import admin
    from django.test import RequestFactory

    from rs.ingestion.models import Inbox

    model_admin = admin.site._registry[Inbox]
    found, _ = model_admin.get_search_results(RequestFactory().get("/admin/"), Inbox.objects.all(), term)
    return sorted(inbox.name for inbox in found)


def scenario(*, directory: Path) -> dict[str, Any]:
    """Every answer of the scenario, on the database Django is configured with (empty before)."""
    from django.test import Client

    client = Client()
    _catalog_build()
    _quarantine_build(directory)
    answers: dict[str, Any] = {
        "products": [_answer(client, "Products", params) for params, _, _ in PRODUCT_QUERIES],
        "counts": [int(client.get("/odata/v1/Products/$count?$filter=" + quote(text, safe="")).content)
                   for text, _ in COUNT_QUERIES],
        "quarantine": [_quarantine_search(reason) for reason in QUARANTINE_REASONS],
        "admin": [_admin_search(term) for term in ADMIN_SEARCHES],
    }
    _products_remove()
    answers["deleted"] = [_answer(client, "DeletedProducts", params) for params, _, _ in DELETED_QUERIES]
    return answers


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")
    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    call_command("migrate", interactive=False, verbosity=0)
    setup_test_environment()  # the test client's host name is allowed
    print(json.dumps(scenario(directory=Path(sys.argv[1]))))
