"""$orderby: a comma list of `<property> [asc|desc]`; `Id asc` always ends the list so that pages are stable."""

from __future__ import annotations

from rs.catalog.query.errors import QueryError
from rs.catalog.query.properties import DEFAULT_ORDER_PROPERTY, Entity, entity_properties
from rs.catalog.query.tree import OrderKey


def parse_orderby(text: str | None, *, entity: Entity) -> tuple[OrderKey, ...]:
    """The order keys of a $orderby text (None: the default order), always ending with Id."""
    properties = entity_properties(entity)
    keys: list[OrderKey] = []
    if text is None or not text.strip():
        keys.append(OrderKey(DEFAULT_ORDER_PROPERTY[entity]))
    else:
        position = 0
        for item in text.split(","):
            words = item.split()
            start = position + len(item) - len(item.lstrip())
            position += len(item) + 1
            if not words:
                raise QueryError("Empty $orderby item", position=start)
            name = words[0]
            spec = properties.get(name)
            if spec is None:
                near = next((p for p in properties if p.lower() == name.lower()), None)
                hint = f" (did you mean {near!r}?)" if near else ""
                raise QueryError(f"Unknown property {name!r}{hint}", code="UnknownProperty", position=start,
                                 subject=name)
            if not spec.orderable:
                orderable = ", ".join(p.name for p in properties.values() if p.orderable)
                raise QueryError(f"Cannot order by {name}: use one of {orderable}", code="Unsupported",
                                 position=start)
            direction = words[1].lower() if len(words) > 1 else "asc"
            if direction not in ("asc", "desc") or len(words) > 2:
                extra = item.find(words[1], len(name) + item.find(name))
                raise QueryError(f"Expected asc or desc after {name}, found {' '.join(words[1:])!r}",
                                 position=position - len(item) - 1 + extra)
            if all(key.property != name for key in keys):
                keys.append(OrderKey(name, descending=direction == "desc"))
    if all(key.property != "Id" for key in keys):
        keys.append(OrderKey("Id"))
    return tuple(keys)
