"""A cursor over the tokens of a $filter, shared by the parser and the parsers of its parts."""

from __future__ import annotations

from rs.catalog.query.errors import QueryError
from rs.catalog.query.tokens import T, Token, tokenize

MAX_DEPTH = 64  # nesting of parentheses/not/any: protects the recursion, far beyond what clients write


class TokenStream:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.variable: str | None = None  # the lambda variable while parsing an any() body

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token.kind is T.IDENT and token.text == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: T, context: str) -> Token:
        token = self.peek()
        if token.kind is not kind:
            raise QueryError(f"Expected {kind.value} {context}, found {token.describe()}", position=token.position)
        return self.advance()

    def nest(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"The filter nests deeper than {MAX_DEPTH} levels", code="TooComplex", position=position)
