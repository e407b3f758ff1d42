"""Lineage graphs: the inputs a product was made from (upstream), what was made from it (downstream).

One query per level and direction on the lineage edges, one for the nodes. The depth is bounded and the answer says
when the bound cut the graph (`truncated`), never silently.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rs.catalog import selectors as catalog_selectors

if TYPE_CHECKING:
    from rs.catalog.selectors import Product


@dataclass(frozen=True)
class LineageGraph:
    root: uuid.UUID
    nodes: list[Product]
    edges: list[tuple[uuid.UUID, uuid.UUID]]  # (input, output)
    truncated: bool


def _walk(root: uuid.UUID, *, upstream: bool, depth: int) -> tuple[set[uuid.UUID], set[tuple[uuid.UUID, uuid.UUID]],
                                                                 bool]:
    seen, edges, frontier = {root}, set(), {root}
    for _ in range(depth):
        found = catalog_selectors.lineage_edges(product_ids=frontier, upstream=upstream)
        following = {edge[0] if upstream else edge[1] for edge in found}
        edges |= found
        frontier = following - seen
        seen |= frontier
        if not frontier:
            return seen, edges, False
    # the bound was reached with a frontier left: is there anything beyond it?
    return seen, edges, catalog_selectors.lineage_edges_exist(product_ids=frontier, upstream=upstream)


def product_lineage(*, product_id: uuid.UUID, upstream_depth: int, downstream_depth: int) -> LineageGraph:
    up_nodes, up_edges, up_cut = _walk(product_id, upstream=True, depth=upstream_depth)
    down_nodes, down_edges, down_cut = _walk(product_id, upstream=False, depth=downstream_depth)
    nodes = list(
        catalog_selectors.products_by_ids(ids=up_nodes | down_nodes)
        .only("id", "name", "product_type", "family", "publication_date", "online").order_by("name")
    )
    return LineageGraph(root=product_id, nodes=nodes, edges=sorted(up_edges | down_edges, key=str),
                        truncated=up_cut or down_cut)


def products_made_with(*, product_id: uuid.UUID, depth: int) -> tuple[list[Product], bool]:
    """Every product made, directly or through intermediates, with the given input; and whether depth cut it."""
    nodes, _edges, truncated = _walk(product_id, upstream=False, depth=depth)
    nodes.discard(product_id)
    products = list(catalog_selectors.products_by_ids(ids=nodes).order_by("name"))
    return products, truncated
