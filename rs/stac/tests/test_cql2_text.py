"""The CQL2 text parser: the CQL2-JSON form of each construct, case-insensitive keywords, positions in errors, and
bounded nesting (a hostile filter is refused, never a crash)."""

from __future__ import annotations

import pytest

from rs.catalog.query.errors import QueryError
from rs.stac.cql2_text import parse_cql2_text

P = {"property": "p"}


@pytest.mark.parametrize(("text", "expected"), [
    ("p = 1", {"op": "=", "args": [P, 1]}),
    ("p <> 'it''s'", {"op": "<>", "args": [P, "it's"]}),
    ("p >= -2.5e1", {"op": ">=", "args": [P, -25.0]}),
    ('"p" < TIMESTAMP(\'2024-01-01T00:00:00Z\')', {"op": "<", "args": [P, {"timestamp": "2024-01-01T00:00:00Z"}]}),
    ("p not like 'S2%'", {"op": "not", "args": [{"op": "like", "args": [P, "S2%"]}]}),
    ("p BETWEEN 1 and 2", {"op": "between", "args": [P, 1, 2]}),
    ("p NOT IN ('a', 'b')", {"op": "not", "args": [{"op": "in", "args": [P, ["a", "b"]]}]}),
    ("p IS NOT NULL", {"op": "not", "args": [{"op": "isNull", "args": [P]}]}),
    ("TRUE", True),
    ("p = true AND (q = false OR NOT r = 1)", {"op": "and", "args": [
        {"op": "=", "args": [P, True]},
        {"op": "or", "args": [{"op": "=", "args": [{"property": "q"}, False]},
                              {"op": "not", "args": [{"op": "=", "args": [{"property": "r"}, 1]}]}]}]}),
    ("T_INTERSECTS(datetime, INTERVAL(DATE('2024-01-01'), '..'))",
     {"op": "t_intersects", "args": [{"property": "datetime"}, {"interval": [{"date": "2024-01-01"}, ".."]}]}),
    ("s_intersects(geometry, BBOX(-10, 40, 5, 50))",
     {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [-10.0, 40.0, 5.0, 50.0]}]}),
    ("S_INTERSECTS(geometry, MULTIPOINT((1 2), (3 4)))", {"op": "s_intersects", "args": [
        {"property": "geometry"}, {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}]}),
    ("s_disjoint(geometry, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))", {"op": "s_disjoint", "args": [
        {"property": "geometry"},
        {"type": "MultiLineString", "coordinates": [[[0.0, 0.0], [1.0, 1.0]], [[2.0, 2.0], [3.0, 3.0]]]}]}),
])
def test_each_construct_has_its_cql2_json_form(text: str, expected: object) -> None:
    assert parse_cql2_text(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("p =", "Unexpected end of the filter: expected a property or a value at position 3"),
    ("p = 1 p = 2", "Expected AND, OR or the end of the filter, found 'p' at position 6"),
    ("(p = 1", "Expected ')' to close the '(' at position 0, found the end of the filter at position 6"),
    ("p ~ 1", "Unexpected character '~' at position 2"),
    ("p IS 1", "Expected NULL after IS, found '1' at position 5"),
    ("p = POINT(1 2 3)", "Only 2D geometries (lon lat) are supported at position 14"),
    ("p = TIMESTAMP(2024)", "Expected a quoted string in TIMESTAMP(), found '2024' at position 14"),
    ("(" * 65 + "p = 1" + ")" * 65, "The filter nests more than 64 levels at position 64"),
    ("", "The filter is empty at position 0"),
])
def test_errors_name_the_position(text: str, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_cql2_text(text)
    assert str(error.value) == message


def test_long_flat_conditions_are_not_nesting() -> None:
    text = " AND ".join(f"p = {i}" for i in range(5000))
    assert len(parse_cql2_text(text)["args"]) == 5000
