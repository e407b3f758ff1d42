"""Validation of our documents against the vendored STAC JSON schemas (rs/stac/schemas/, see its LICENCE.md),
offline: every schema is registered under its published URL, so `$ref`s resolve from disk. Items are also checked
against the schema of every extension they declare."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parent / "schemas"
STAC = "https://schemas.stacspec.org/v1.1.0"
SPEC_OF = {"catalog.json": "catalog-spec", "collection.json": "collection-spec"}
DOCUMENTS = {
    "item": f"{STAC}/item-spec/json-schema/item.json",
    "collection": f"{STAC}/collection-spec/json-schema/collection.json",
    "catalog": f"{STAC}/catalog-spec/json-schema/catalog.json",
    "itemcollection": "https://schemas.rs.invalid/stac/api/itemcollection.json",
    "collections": "https://schemas.rs.invalid/stac/api/collections.json",
    "landing": "https://schemas.rs.invalid/stac/api/landing.json",
}


def _url(path: Path, schema: dict[str, Any]) -> str:
    if path.parent.name == "v1.1.0":
        return f"{STAC}/{SPEC_OF.get(path.name, 'item-spec')}/json-schema/{path.name}"
    if path.parent.name == "geojson":
        return f"https://geojson.org/schema/{path.name}"
    return str(schema["$id"]).rstrip("#")


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(SCHEMAS.rglob("*.json")):
        schema = json.loads(path.read_text())
        found[_url(path, schema)] = schema
    return found


@cache
def _registry() -> Registry[Any]:
    resources = [(url, Resource.from_contents(schema)) for url, schema in _schemas().items()]
    return Registry().with_resources(resources)


def _errors(document: object, url: str) -> list[str]:
    schema = _schemas().get(url)
    if schema is None:
        return [f"no vendored schema for {url}"]
    validator = Draft7Validator({"$ref": url}, registry=_registry())
    return [_message(url, error) for error in validator.iter_errors(document)]


def _leaves(error: ValidationError) -> list[ValidationError]:
    return [leaf for sub in error.context for leaf in _leaves(sub)] if error.context else [error]


def _message(url: str, error: ValidationError) -> str:
    """Inside oneOf/anyOf, every alternative's own reason rather than "not valid under any of the given schemas"."""
    reasons = [f"{'/'.join(map(str, leaf.absolute_path))}: {leaf.message}" for leaf in _leaves(error)]
    return f"{url}: " + " | ".join(dict.fromkeys(reasons))


def validation_errors(document: object, kind: str) -> list[str]:
    """Messages for everything wrong with `document` as a `kind` (item, collection, catalog, itemcollection,
    collections, landing); [] when it is valid. Items and collections are checked against their extensions too."""
    errors = _errors(document, DOCUMENTS[kind])
    if kind in ("item", "collection") and isinstance(document, dict):
        for extension in document.get("stac_extensions") or ():
            errors += _errors(document, str(extension))
    if kind == "itemcollection" and isinstance(document, dict):
        for feature in document.get("features") or ():
            errors += validation_errors(feature, "item")
    if kind == "collections" and isinstance(document, dict):
        for collection in document.get("collections") or ():
            errors += validation_errors(collection, "collection")
    return errors
