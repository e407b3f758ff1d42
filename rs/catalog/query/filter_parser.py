"""Recursive-descent parser of $filter (prip-odata.md §5) into the query tree.

    filter   = or_expr
    or_expr  = and_expr *( "or" and_expr )
    and_expr = not_expr *( "and" not_expr )
    not_expr = "not" not_expr / primary
    primary  = "(" or_expr ")" / comparison / in_expr / text_call / spatial_call / lambda

Keywords are lower-case as in OData. Every error names its character position in the filter text.
"""

from __future__ import annotations

from dataclasses import dataclass

from rs.catalog.choices import AttributeType
from rs.catalog.query.attribute_lambdas import (
    Expr,
    NameAtom,
    PAnd,
    PNot,
    POr,
    ValueAtom,
    attribute_filter_build,
    finish,
)
from rs.catalog.query.errors import QueryError
from rs.catalog.query.intersects import SPATIAL_FUNCTIONS, spatial_call
from rs.catalog.query.literals import Literal, LiteralKind, coerce_for_property, integer_comparison, literal_from_token
from rs.catalog.query.properties import Entity, Kind, PropertySpec, entity_properties
from rs.catalog.query.token_stream import TokenStream
from rs.catalog.query.tokens import T, Token
from rs.catalog.query.tree import (
    Comparison,
    Constant,
    Membership,
    Node,
    Op,
    TextFunction,
    TextMatch,
    Value,
)

MAX_FILTER_LENGTH = 256 * 1024  # detailed AOIs make long filters; beyond this it is not a catalogue query any more
MAX_LIST = 1000  # items of one `in (…)` list

COMPARISONS = {op.value: op for op in Op}
TEXT_FUNCTIONS = {f.value: f for f in TextFunction}
_TYPES = {t.value: t for t in AttributeType}
ATTRIBUTE_CASTS = {f"OData.CSC.{t}Attribute": t for t in _TYPES.values()}
ATTRIBUTE_NAVIGATIONS: dict[str, AttributeType | None] = {
    "Attributes": None, "attributes": None, **{f"{t}Attributes": t for t in _TYPES.values()},
}
KEYWORDS = frozenset({"and", "or", "not", "in", "any", "all", *COMPARISONS})


@dataclass(frozen=True)
class _Path:
    segments: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        return "/".join(self.segments)


Operand = _Path | Literal


def parse_filter(text: str, *, entity: Entity) -> Node | None:
    """The tree of a $filter; None when the text is empty (every product)."""
    if len(text) > MAX_FILTER_LENGTH:
        raise QueryError(f"The filter is longer than {MAX_FILTER_LENGTH} characters", code="TooLong", position=0)
    if not text.strip():
        return None
    return _Parser(text, entity).parse()


class _Parser(TokenStream):
    def __init__(self, text: str, entity: Entity) -> None:
        super().__init__(text)
        self.entity = entity
        self.properties = entity_properties(entity)

    # --- boolean structure ----------------------------------------------------------------------------------------

    def parse(self) -> Node:
        expr = self.or_expr()
        token = self.peek()
        if token.kind is not T.EOF:
            hint = " (operators are lower-case)" if token.text.lower() in ("and", "or") else ""
            raise QueryError(f"Expected 'and', 'or' or the end of the filter, found {token.describe()}{hint}",
                             position=token.position)
        return finish(expr)

    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.keyword("or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else POr(tuple(items))

    def and_expr(self) -> Expr:
        items = [self.not_expr()]
        while self.keyword("and"):
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else PAnd(tuple(items))

    def not_expr(self) -> Expr:
        token = self.peek()
        if self.keyword("not"):
            self.nest(token.position)
            item = self.not_expr()
            self.depth -= 1
            return PNot(item)
        return self.primary()

    def primary(self) -> Expr:
        token, following = self.peek(), self.peek(1)
        if token.kind is T.LPAREN:
            self.nest(token.position)
            self.advance()
            expr = self.or_expr()
            self.expect(T.RPAREN, "to close the '(' at position " + str(token.position))
            self.depth -= 1
            return expr
        if token.kind is T.IDENT and following.kind is T.LPAREN:
            if token.text in TEXT_FUNCTIONS:
                return self.boolean_suffix(self.text_call())
            if token.text in SPATIAL_FUNCTIONS:
                return self.boolean_suffix(self.spatial_call())
            raise _unknown_function(token)
        if token.kind is T.IDENT and token.text in ATTRIBUTE_NAVIGATIONS and following.kind is T.SLASH:
            return self.attribute_lambda()
        if token.kind is T.IDENT and token.text in ("true", "false") and self._ends_condition(1):
            self.advance()
            return Constant(token.text == "true")
        return self.comparison()

    def _ends_condition(self, ahead: int) -> bool:
        token = self.peek(ahead)
        return token.kind in (T.EOF, T.RPAREN) or (token.kind is T.IDENT and token.text in ("and", "or"))

    def boolean_suffix(self, expr: Expr) -> Expr:
        """`contains(Name,'x') eq true` and its variants."""
        token, value = self.peek(), self.peek(1)
        if token.kind is T.IDENT and token.text in ("eq", "ne") and value.kind is T.IDENT \
                and value.text in ("true", "false"):
            self.i += 2
            return expr if (token.text == "eq") == (value.text == "true") else PNot(expr)
        return expr

    # --- operands -------------------------------------------------------------------------------------------------

    def operand(self) -> Operand:
        token = self.peek()
        if token.kind is T.IDENT:
            if token.text in ("true", "false"):
                self.advance()
                return Literal(LiteralKind.BOOLEAN, token.text == "true", token.text, token.position)
            if token.text == "null":
                self.advance()
                return Literal(LiteralKind.NULL, None, token.text, token.position)
            if token.text in KEYWORDS:
                raise QueryError(f"Expected a property or a value, found {token.describe()}", position=token.position)
            if self.peek(1).kind is T.LPAREN:
                if token.text in TEXT_FUNCTIONS or token.text in SPATIAL_FUNCTIONS:
                    raise QueryError(f"{token.text}() is a condition, not a value", code="Unsupported",
                                     position=token.position)
                raise _unknown_function(token)
            return self.path()
        if token.kind in (T.STRING, T.NUMBER, T.DATETIME, T.GUID, T.TYPED):
            self.advance()
            return literal_from_token(token)
        if token.kind is T.EOF:
            raise QueryError("Unexpected end of the filter: expected a property or a value", position=token.position)
        raise QueryError(f"Expected a property or a value, found {token.describe()}", position=token.position)

    def path(self) -> _Path:
        first = self.advance()
        segments = [first.text]
        while self.peek().kind is T.SLASH:
            self.advance()
            segment = self.expect(T.IDENT, f"after '{'/'.join(segments)}/'")
            segments.append(segment.text)
        return _Path(tuple(segments), first.position)

    def literal_list(self) -> list[Literal]:
        opening = self.expect(T.LPAREN, "after 'in'")
        values: list[Literal] = []
        while True:
            item = self.operand()
            if not isinstance(item, Literal):
                raise QueryError(f"'in' lists hold values, found the property {item.text!r}", position=item.position)
            values.append(item)
            if len(values) > MAX_LIST:
                raise QueryError(f"An 'in' list holds at most {MAX_LIST} values", code="TooComplex",
                                 position=opening.position)
            if self.peek().kind is T.COMMA:
                self.advance()
                continue
            self.expect(T.RPAREN, "to close the 'in' list")
            return values

    # --- conditions -----------------------------------------------------------------------------------------------

    def comparison(self) -> Expr:
        left = self.operand()
        token = self.peek()
        if token.kind is T.IDENT and token.text in COMPARISONS:
            self.advance()
            return self.make_comparison(left, COMPARISONS[token.text], self.operand())
        if token.kind is T.IDENT and token.text == "in":
            self.advance()
            return self.make_membership(left, self.literal_list())
        shown = left.text
        hint = " (operators are lower-case)" if token.text.lower() in (*COMPARISONS, "in") else ""
        raise QueryError(f"Expected a comparison operator (eq, ne, gt, ge, lt, le, in) after {shown!r}, "
                         f"found {token.describe()}{hint}", position=token.position)

    def make_comparison(self, left: Operand, op: Op, right: Operand) -> Expr:
        if isinstance(left, Literal) and isinstance(right, _Path):
            left, right, op = right, left, op.flipped()
        if isinstance(left, Literal):
            raise QueryError("A comparison needs a property on one side", position=left.position)
        if isinstance(right, _Path):
            raise QueryError("Comparing two properties is not supported", code="Unsupported", position=right.position)
        if self.variable is not None:
            return self.lambda_atom(left, op, (right,))
        spec = self.property(left)
        if right.kind is LiteralKind.NULL:
            if op not in (Op.EQ, Op.NE):
                raise QueryError("null can only be compared with eq or ne", code="TypeMismatch",
                                 position=right.position)
            if spec.null_is_max or not spec.nullable:
                return Constant(op is Op.NE)
            return Comparison(spec.name, op, None, left.position)
        value = self.typed(right, spec)
        if op not in (Op.EQ, Op.NE) and spec.kind in (Kind.BOOLEAN, Kind.PRODUCTION_TYPE):
            raise QueryError(f"{spec.name} supports eq, ne and in only", code="Unsupported", position=left.position)
        if spec.kind is Kind.INT64 and isinstance(value, int | float):
            typed = integer_comparison(op, value)
            if isinstance(typed, bool):
                return Constant(typed)
            op, value = typed
        return Comparison(spec.name, op, value, left.position)

    def make_membership(self, left: Operand, values: list[Literal]) -> Expr:
        if isinstance(left, Literal):
            raise QueryError("'in' needs a property on its left", position=left.position)
        if self.variable is not None:
            return self.lambda_atom(left, None, tuple(values))
        spec = self.property(left)
        typed: list[Value] = []
        for literal in values:
            if literal.kind is LiteralKind.NULL:
                raise QueryError("null is not allowed in an 'in' list", code="TypeMismatch", position=literal.position)
            value = self.typed(literal, spec)
            if spec.kind is Kind.INT64 and isinstance(value, int | float):
                exact = integer_comparison(Op.EQ, value)
                if isinstance(exact, bool):
                    continue  # 2.5 or 1e30: no Int64 equals it
                value = exact[1]
            typed.append(value)
        if not typed:
            return Constant(False)
        return Membership(spec.name, tuple(dict.fromkeys(typed)), left.position)

    def typed(self, literal: Literal, spec: PropertySpec) -> Value:
        if literal.kind is LiteralKind.GEOGRAPHY:
            raise QueryError("Geography literals are only allowed in OData.CSC.Intersects", code="TypeMismatch",
                             position=literal.position)
        return coerce_for_property(literal, spec)

    def property(self, path: _Path) -> PropertySpec:
        name = path.text
        spec = self.properties.get(name)
        if spec is not None:
            return spec
        if name == "Footprint":
            raise QueryError("Footprint can only be filtered with OData.CSC.Intersects(area=geography'…')",
                             code="Unsupported", position=path.position)
        if path.segments[0] in ATTRIBUTE_NAVIGATIONS:
            raise QueryError(f"{path.segments[0]} can only be filtered with any(…)", code="Unsupported",
                             position=path.position)
        near = next((p for p in self.properties if p.lower() == name.lower()), None)
        hint = f" (did you mean {near!r}?)" if near else ""
        raise QueryError(f"Unknown property {name!r}{hint}", code="UnknownProperty", position=path.position,
                         subject=name)

    def text_call(self) -> Expr:
        function = TEXT_FUNCTIONS[self.advance().text]
        start = self.peek(-1).position
        self.expect(T.LPAREN, f"after {function.value}")
        subject = self.operand()
        self.expect(T.COMMA, f"between the arguments of {function.value}()")
        pattern = self.operand()
        self.expect(T.RPAREN, f"to close {function.value}(")
        if not isinstance(subject, _Path):
            raise QueryError(f"The first argument of {function.value}() is the property", position=subject.position)
        if not isinstance(pattern, Literal) or pattern.kind is not LiteralKind.STRING \
                or not isinstance(pattern.value, str):
            raise QueryError(f"The second argument of {function.value}() is a string literal like 'S1A'",
                             code="TypeMismatch", position=pattern.position)
        if self.variable is not None:
            atom = self.lambda_atom(subject, Op.EQ, (pattern,))
            if isinstance(atom, NameAtom):
                raise QueryError(f"{function.value}() on att/Name is not supported: compare it with eq",
                                 code="Unsupported", position=start)
            return ValueAtom(None, atom.literals, atom.cast, start, function)
        spec = self.property(subject)
        if spec.kind not in (Kind.STRING, Kind.GUID, Kind.COLLECTION):
            raise QueryError(f"{function.value}() applies to text properties, not {spec.name} ({spec.kind.value})",
                             code="TypeMismatch", position=subject.position)
        return TextMatch(function, spec.name, pattern.value, start)

    def spatial_call(self) -> Expr:
        if self.variable is not None:
            token = self.peek()
            raise QueryError(f"{token.text} is not allowed inside any()", code="Unsupported", position=token.position)
        return spatial_call(self)

    # --- attribute lambdas ----------------------------------------------------------------------------------------

    def attribute_lambda(self) -> Expr:
        navigation = self.advance()
        declared = ATTRIBUTE_NAVIGATIONS[navigation.text]
        self.expect(T.SLASH, f"after {navigation.text}")
        token = self.peek()
        if token.kind is T.IDENT and token.text.startswith("OData.CSC."):
            if token.text not in ATTRIBUTE_CASTS:
                raise QueryError(f"Unknown type {token.text!r}", code="UnknownType", position=token.position,
                                 subject=token.text)
            declared = ATTRIBUTE_CASTS[token.text]
            self.advance()
            self.expect(T.SLASH, f"after {token.text}")
        function = self.expect(T.IDENT, f"after {navigation.text}/ (any)")
        if function.text == "all":
            raise QueryError("all() is not supported: use any()", code="Unsupported", position=function.position)
        if function.text != "any":
            raise QueryError(f"{navigation.text} can only be filtered with any(…), found {function.text!r}",
                             code="Unsupported", position=function.position)
        if self.variable is not None:
            raise QueryError("Nested any() is not supported", code="Unsupported", position=navigation.position)
        self.expect(T.LPAREN, "after any")
        variable = self.peek()
        if variable.kind is T.RPAREN:
            raise QueryError("any() needs a condition: any(att:att/Name eq '…' and …)", code="Unsupported",
                             position=variable.position)
        if variable.kind is not T.IDENT or variable.text in KEYWORDS:
            raise QueryError(f"Expected the lambda variable (e.g. att), found {variable.describe()}",
                             position=variable.position)
        self.advance()
        self.expect(T.COLON, f"after the lambda variable {variable.text!r}")
        self.nest(navigation.position)
        self.variable = variable.text
        body = self.or_expr()
        self.variable = None
        self.depth -= 1
        self.expect(T.RPAREN, "to close any(")
        return attribute_filter_build(body, declared=declared, position=navigation.position)

    def lambda_atom(self, path: _Path, op: Op | None, literals: tuple[Literal, ...]) -> NameAtom | ValueAtom:
        segments = path.segments
        if segments[0] != self.variable:
            raise QueryError(f"Inside any(), conditions start with '{self.variable}/', found {path.text!r}",
                             code="Unsupported", position=path.position)
        for literal in literals:
            if literal.kind is LiteralKind.GEOGRAPHY:
                raise QueryError("Geography literals are only allowed in OData.CSC.Intersects", code="TypeMismatch",
                                 position=literal.position)
        if segments[1:] == ("Name",):
            if op is None:
                raise QueryError("att/Name in (…) is not supported: one name per any()", code="Unsupported",
                                 position=path.position)
            return NameAtom(op, literals[0], path.position)
        cast: AttributeType | None = None
        if len(segments) == 3 and segments[2] == "Value":
            if segments[1] not in ATTRIBUTE_CASTS:
                raise QueryError(f"Unknown type {segments[1]!r}", code="UnknownType", position=path.position)
            cast = ATTRIBUTE_CASTS[segments[1]]
        elif segments[1:] != ("Value",):
            raise QueryError(f"Unknown attribute path {path.text!r}: use {self.variable}/Name or "
                             f"{self.variable}/OData.CSC.<Type>Attribute/Value", code="UnknownProperty",
                             position=path.position)
        return ValueAtom(op, literals, cast, path.position)


def _unknown_function(token: Token) -> QueryError:
    return QueryError(f"Unknown function {token.text!r}", code="UnknownFunction", position=token.position,
                      subject=token.text)
