"""The fields extension: which parts of an item the client wants. Also tells the search what it may skip
fetching (attributes, assets, lineage) when the client does not want the parts they feed."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rs.stac.search_params import Fields

ALWAYS = ("type", "stac_version", "id")  # an answer stays a GeoJSON Feature with an id


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def wanted(fields: Fields | None, part: str) -> bool:
    """Whether anything at or below the top-level `part` (properties, assets, links …) is returned."""
    if fields is None:
        return True
    if part in fields.exclude and part not in fields.include:
        return False
    if not fields.include:
        return True
    return any(_under(path, part) or _under(part, path) for path in fields.include)


def needs_attributes(fields: Fields | None) -> bool:
    """Whether the returned parts depend on the attributes: the properties (beyond those of the product's columns)
    and the extension list."""
    from rs.stac.item_properties import ENTRY_PROPERTIES

    if not wanted(fields, "properties") and not wanted(fields, "stac_extensions"):
        return False
    if fields is None or not fields.include:
        return True
    return any(path in ("properties", "stac_extensions") or (
        path.startswith("properties.") and path.split(".", 1)[1] not in ENTRY_PROPERTIES) for path in fields.include)


Tree = dict[str, "Tree | None"]  # None: the whole value at this key


@lru_cache(maxsize=256)
def _tree(paths: tuple[str, ...]) -> Tree:
    """Dotted paths as a tree of keys, compiled once per distinct `fields` (a page applies it to every item)."""
    tree: Tree = {}
    for path in paths:
        node = tree
        keys = path.split(".")
        for key in keys[:-1]:
            child = node.get(key, {})
            if child is None:
                break  # an ancestor is already taken whole
            node[key] = child
            node = child
        else:
            node[keys[-1]] = None
    return tree


def _keep(value: dict[str, Any], tree: Tree) -> dict[str, Any]:
    result = {}
    for key, item in value.items():  # the item's key order
        if key in tree:
            sub = tree[key]
            result[key] = item if sub is None or not isinstance(item, dict) else _keep(item, sub)
    return result


def _drop(value: dict[str, Any], tree: Tree) -> dict[str, Any]:
    result = {}
    for key, item in value.items():
        if key not in tree:
            result[key] = item
        elif tree[key] is not None and isinstance(item, dict):
            result[key] = _drop(item, tree[key])  # type: ignore[arg-type]
    return result


def projected(item: dict[str, Any], fields: Fields | None) -> dict[str, Any]:
    """`include` keeps only the named paths (plus type, stac_version, id); `exclude` then removes paths, except
    those also named in `include` (the more explicit wish wins)."""
    if fields is None or (not fields.include and not fields.exclude):
        return item
    result = _keep(item, _tree((*ALWAYS, *fields.include))) if fields.include else item
    excluded = tuple(p for p in fields.exclude if p not in fields.include and p not in ALWAYS)
    return _drop(result, _tree(excluded)) if excluded else result
