"""Spatial calls of $filter: OData.CSC.Intersects (and COPRS's Within, Disjoints, OData's geo.intersects) in every
argument spelling clients use: area=…, location=Footprint,area=…, geo_property=Footprint,geo_shape=…, positional."""

from __future__ import annotations

from rs.catalog.query.errors import QueryError
from rs.catalog.query.geography import geography_from_literal
from rs.catalog.query.token_stream import TokenStream
from rs.catalog.query.tokens import T, Token
from rs.catalog.query.tree import Spatial, SpatialRelation

SPATIAL_FUNCTIONS = {
    "OData.CSC.Intersects": SpatialRelation.INTERSECTS,
    "geo.intersects": SpatialRelation.INTERSECTS,
    "OData.CSC.Within": SpatialRelation.WITHIN,
    "OData.CSC.Disjoints": SpatialRelation.DISJOINT,
    "OData.CSC.Disjoint": SpatialRelation.DISJOINT,
}
GEOGRAPHY_PREFIXES = ("geography", "geometry")


def spatial_call(stream: TokenStream) -> Spatial:
    """The call whose name is the current token, up to its closing parenthesis."""
    name = stream.advance()
    relation = SPATIAL_FUNCTIONS[name.text]
    stream.expect(T.LPAREN, f"after {name.text}")
    area: Token | None = None
    while True:
        token = stream.peek()
        label = ""
        if token.kind is T.IDENT and stream.peek(1).kind is T.EQUALS:
            label = token.text
            if label not in ("location", "geo_property", "area", "geo_shape"):
                raise QueryError(f"Unknown parameter {label!r} of {name.text}: use area=geography'…'",
                                 code="Unsupported", position=token.position)
            stream.i += 2
            token = stream.peek()
        if token.kind is T.IDENT and label in ("", "location", "geo_property"):
            if token.text != "Footprint":
                raise QueryError(f"{name.text} applies to Footprint, not {token.text!r}", code="Unsupported",
                                 position=token.position)
            stream.advance()
        elif token.kind is T.TYPED and token.text.lower() in GEOGRAPHY_PREFIXES and label in ("", "area", "geo_shape"):
            if area is not None:
                raise QueryError(f"{name.text} takes one area", position=token.position)
            area = stream.advance()
        else:
            raise QueryError(f"Expected Footprint or geography'SRID=4326;…' in {name.text}, found "
                             f"{token.describe()}", position=token.position)
        if stream.peek().kind is T.COMMA:
            stream.advance()
            continue
        stream.expect(T.RPAREN, f"to close {name.text}(")
        break
    if area is None:
        raise QueryError(f"{name.text} needs area=geography'SRID=4326;…'", position=name.position)
    geometry = geography_from_literal(area.value, area.value_position)
    return Spatial(relation, geometry.ewkt, name.position)
