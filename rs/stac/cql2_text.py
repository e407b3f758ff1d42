"""Recursive-descent parser of CQL2 text into its CQL2-JSON form, which rs.stac.cql2_filter turns into the query
tree; a text and a JSON filter are therefore one thing from there on.

    expression = term *( OR term )
    term       = factor *( AND factor )
    factor     = NOT factor / primary
    primary    = "(" expression ")" / TRUE / FALSE / function "(" args ")" / predicate
    predicate  = scalar ( compare scalar / [NOT] LIKE scalar / [NOT] BETWEEN scalar AND scalar
                 / [NOT] IN "(" scalar *( "," scalar ) ")" / IS [NOT] NULL )
    scalar     = property / 'string' / number / TRUE / FALSE / TIMESTAMP('…') / DATE('…') / INTERVAL(…)
                 / geometry (WKT, BBOX(…))

Keywords are case-insensitive. The nesting depth is bounded (a deep filter is refused, never a crash) and every
error names its character position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rs.catalog.query.errors import QueryError
from rs.stac.constants import MAX_FILTER_DEPTH, MAX_FILTER_LENGTH

COMPARISONS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
GEOMETRIES = {"POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
              "GEOMETRYCOLLECTION", "BBOX"}
GEOJSON_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon", "MULTIPOINT": "MultiPoint",
                 "MULTILINESTRING": "MultiLineString", "MULTIPOLYGON": "MultiPolygon"}
_PARENS = {"POINT": 1, "LINESTRING": 1, "POLYGON": 2, "MULTIPOINT": 1, "MULTILINESTRING": 2, "MULTIPOLYGON": 3}
KEYWORDS = {"AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE"}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")+")
  | (?P<word>[A-Za-z_][A-Za-z0-9_:.\-]*)
  | (?P<op><>|!=|<=|>=|[=<>(),])
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, quoted, word, op, end
    text: str
    position: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    def describe(self) -> str:
        return "the end of the filter" if self.kind == "end" else repr(self.text)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        if match is None:
            raise QueryError(f"Unexpected character {text[i]!r}", position=i)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), i))
        i = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def parse_cql2_text(text: str) -> Any:
    """The CQL2-JSON form of a CQL2 text filter."""
    if len(text) > MAX_FILTER_LENGTH:
        raise QueryError(f"The filter is longer than {MAX_FILTER_LENGTH} characters", code="TooLong", position=0)
    if not text.strip():
        raise QueryError("The filter is empty", position=0)
    return _Parser(tokenize(text)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.i, self.depth = tokens, 0, 0

    # --- token helpers --------------------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        if self.peek().upper == word:
            self.i += 1
            return True
        return False

    def expect(self, text: str, context: str) -> Token:
        token = self.peek()
        if token.text.upper() != text or token.kind not in ("op", "word"):
            raise QueryError(f"Expected {text!r} {context}, found {token.describe()}", position=token.position)
        return self.advance()

    def nest(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise QueryError(f"The filter nests more than {MAX_FILTER_DEPTH} levels", code="TooComplex",
                             position=position)

    def unnest(self) -> None:
        self.depth -= 1

    # --- boolean structure ----------------------------------------------------------------------------------------

    def parse(self) -> Any:
        result = self.expression()
        token = self.peek()
        if token.kind != "end":
            raise QueryError(f"Expected AND, OR or the end of the filter, found {token.describe()}",
                             position=token.position)
        return result

    def expression(self) -> Any:
        items = [self.term()]
        while self.keyword("OR"):
            items.append(self.term())
        return items[0] if len(items) == 1 else {"op": "or", "args": items}

    def term(self) -> Any:
        items = [self.factor()]
        while self.keyword("AND"):
            items.append(self.factor())
        return items[0] if len(items) == 1 else {"op": "and", "args": items}

    def factor(self) -> Any:
        token = self.peek()
        if self.keyword("NOT"):
            self.nest(token.position)
            item = self.factor()
            self.unnest()
            return {"op": "not", "args": [item]}
        return self.primary()

    def primary(self) -> Any:
        token = self.peek()
        if token.text == "(":
            self.nest(token.position)
            self.advance()
            result = self.expression()
            self.expect(")", f"to close the '(' at position {token.position}")
            self.unnest()
            return result
        if token.upper in ("TRUE", "FALSE") and self._ends_condition(1):
            self.advance()
            return token.upper == "TRUE"
        if token.kind == "word" and self.peek(1).text == "(" and token.upper.startswith(("S_", "T_", "A_")):
            return self.function()  # a spatial, temporal or array predicate; other functions are scalars
        return self.predicate()

    def _ends_condition(self, ahead: int) -> bool:
        token = self.peek(ahead)
        return token.kind == "end" or token.text == ")" or token.upper in ("AND", "OR")

    def function(self) -> Any:
        name = self.advance()
        self.nest(name.position)
        self.expect("(", f"after {name.text}")
        args: list[Any] = []
        if self.peek().text != ")":
            args.append(self.scalar())
            while self.peek().text == ",":
                self.advance()
                args.append(self.scalar())
        self.expect(")", f"to close {name.text}(")
        self.unnest()
        return {"op": name.text.lower(), "args": args}

    def predicate(self) -> Any:
        left = self.scalar()
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            return {"op": COMPARISONS[token.text], "args": [left, self.scalar()]}
        negated = self.keyword("NOT")
        operator = self.peek()
        if self.keyword("LIKE"):
            result: Any = {"op": "like", "args": [left, self.scalar()]}
        elif self.keyword("BETWEEN"):
            low = self.scalar()
            self.expect("AND", "between the bounds of BETWEEN")
            result = {"op": "between", "args": [left, low, self.scalar()]}
        elif self.keyword("IN"):
            result = {"op": "in", "args": [left, self.in_list()]}
        elif not negated and self.keyword("IS"):
            negated = self.keyword("NOT")
            null = self.peek()
            if not self.keyword("NULL"):
                raise QueryError(f"Expected NULL after IS, found {null.describe()}", position=null.position)
            result = {"op": "isNull", "args": [left]}
        else:
            raise QueryError(f"Expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL), found "
                             f"{operator.describe()}", position=operator.position)
        return {"op": "not", "args": [result]} if negated else result

    def in_list(self) -> list[Any]:
        self.expect("(", "after IN")
        values = [self.scalar()]
        while self.peek().text == ",":
            self.advance()
            values.append(self.scalar())
        self.expect(")", "to close the IN list")
        return values

    # --- scalars --------------------------------------------------------------------------------------------------

    def scalar(self) -> Any:
        token = self.peek()
        if token.kind == "number":
            self.advance()
            number = float(token.text)
            return int(token.text) if re.fullmatch(r"[+-]?\d+", token.text) else number
        if token.kind == "string":
            self.advance()
            return token.text[1:-1].replace("''", "'")
        if token.kind == "quoted":
            self.advance()
            return {"property": token.text[1:-1].replace('""', '"')}
        if token.kind == "word":
            word = token.upper
            if word in ("TRUE", "FALSE"):
                self.advance()
                return word == "TRUE"
            if self.peek(1).text == "(":
                if word in ("TIMESTAMP", "DATE"):
                    return self.instant(word.lower())
                if word == "INTERVAL":
                    return self.interval()
                if word in GEOMETRIES:
                    return self.geometry()
                return self.function()
            if word in KEYWORDS:
                raise QueryError(f"Expected a property or a value, found {token.describe()}", position=token.position)
            self.advance()
            return {"property": token.text}
        if token.kind == "end":
            raise QueryError("Unexpected end of the filter: expected a property or a value", position=token.position)
        raise QueryError(f"Expected a property or a value, found {token.describe()}", position=token.position)

    def _string_argument(self, context: str) -> str:
        token = self.peek()
        if token.kind != "string":
            raise QueryError(f"Expected a quoted string {context}, found {token.describe()}", position=token.position)
        self.advance()
        return token.text[1:-1].replace("''", "'")

    def instant(self, kind: str) -> dict[str, str]:
        name = self.advance()
        self.expect("(", f"after {name.text}")
        value = self._string_argument(f"in {name.text}()")
        self.expect(")", f"to close {name.text}(")
        return {kind: value}

    def interval(self) -> dict[str, list[Any]]:
        self.advance()
        self.expect("(", "after INTERVAL")
        bounds: list[Any] = []
        for index in range(2):
            if index:
                self.expect(",", "between the bounds of INTERVAL")
            token = self.peek()
            if token.upper in ("TIMESTAMP", "DATE") and self.peek(1).text == "(":
                bounds.append(self.instant(token.upper.lower()))
            else:
                bounds.append(self._string_argument("in INTERVAL()"))
        self.expect(")", "to close INTERVAL(")
        return {"interval": bounds}

    # --- geometry literals (WKT and BBOX) -------------------------------------------------------------------------

    def geometry(self) -> dict[str, Any]:
        name = self.advance()
        kind = name.upper
        self.nest(name.position)
        if kind == "BBOX":
            self.expect("(", "after BBOX")
            values = [self.number()]
            while self.peek().text == ",":
                self.advance()
                values.append(self.number())
            self.expect(")", "to close BBOX(")
            self.unnest()
            return {"bbox": values}
        if self.peek().upper in ("Z", "M", "ZM"):
            raise QueryError("Only 2D geometries (lon lat) are supported", code="InvalidGeometry",
                             position=self.peek().position)
        if kind == "GEOMETRYCOLLECTION":
            self.expect("(", "after GEOMETRYCOLLECTION")
            members = [self.geometry_member()]
            while self.peek().text == ",":
                self.advance()
                members.append(self.geometry_member())
            self.expect(")", "to close GEOMETRYCOLLECTION(")
            self.unnest()
            return {"type": "GeometryCollection", "geometries": members}
        coordinates = self.coordinates(_PARENS[kind], kind)
        self.unnest()
        return {"type": GEOJSON_TYPES[kind], "coordinates": coordinates}

    def geometry_member(self) -> dict[str, Any]:
        token = self.peek()
        if token.upper not in GEOMETRIES or token.upper == "BBOX":
            raise QueryError(f"Expected a WKT geometry, found {token.describe()}", code="InvalidGeometry",
                             position=token.position)
        return self.geometry()

    def coordinates(self, parens: int, kind: str) -> Any:
        """`parens` levels of parenthesised lists down to positions; MULTIPOINT takes (1 2, 3 4) and ((1 2), (3 4))."""
        self.expect("(", f"in {kind}")
        items = [self.coordinate_item(parens, kind)]
        while self.peek().text == ",":
            self.advance()
            items.append(self.coordinate_item(parens, kind))
        self.expect(")", f"in {kind}")
        return items[0] if kind == "POINT" else items

    def coordinate_item(self, parens: int, kind: str) -> Any:
        if parens > 1:
            return self.coordinates(parens - 1, kind)
        if kind == "MULTIPOINT" and self.peek().text == "(":
            self.advance()
            position = self.position()
            self.expect(")", "around a MULTIPOINT position")
            return position
        return self.position()

    def position(self) -> list[float]:
        values = [self.number(), self.number()]
        if self.peek().kind == "number":
            raise QueryError("Only 2D geometries (lon lat) are supported", code="InvalidGeometry",
                             position=self.peek().position)
        return values

    def number(self) -> float:
        token = self.peek()
        if token.kind != "number":
            raise QueryError(f"Expected a coordinate, found {token.describe()}", code="InvalidGeometry",
                             position=token.position)
        self.advance()
        return float(token.text)
