"""Tokenizer of $filter text. Every token records the character position where it starts (0-based)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from rs.catalog.query.errors import QueryError


class T(enum.Enum):
    IDENT = "identifier"
    STRING = "string"
    NUMBER = "number"
    DATETIME = "date"
    GUID = "guid"
    TYPED = "typed literal"  # prefix'content', e.g. geography'SRID=4326;POINT(1 2)'
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    SLASH = "'/'"
    COLON = "':'"
    EQUALS = "'='"
    EOF = "end of the filter"


@dataclass(frozen=True)
class Token:
    kind: T
    text: str  # as written (for TYPED: the prefix)
    position: int
    value: str = ""  # STRING and TYPED: the content with doubled quotes undone
    value_position: int = 0  # where `value` starts in the filter text

    def describe(self) -> str:
        return self.kind.value if self.kind is T.EOF else repr(self.text)


_PUNCTUATION = {"(": T.LPAREN, ")": T.RPAREN, ",": T.COMMA, "/": T.SLASH, ":": T.COLON, "=": T.EQUALS}
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-:")
# A date followed by " 02:00": the '+' of the offset was sent raw and decoded as a space (§8 of the contract).
_LOST_PLUS = re.compile(r" \d{2}:\d{2}\b")
_WHITESPACE = " \t\r\n"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
            continue
        if ch in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[ch], ch, i))
            i += 1
            continue
        if ch == "'":
            value, end = _string_at(text, i)
            tokens.append(Token(T.STRING, text[i:end], i, value, i + 1))
            i = end
            continue
        token = _literal_at(text, i)
        if token is not None:
            tokens.append(token)
            i += len(token.text)
            continue
        match = _IDENT.match(text, i)
        if match is None:
            raise QueryError(f"Unexpected character {ch!r}", position=i)
        end = match.end()
        if end < n and text[end] == "'":
            value, close = _string_at(text, end)
            tokens.append(Token(T.TYPED, match.group(), i, value, end + 1))
            i = close
            continue
        tokens.append(Token(T.IDENT, match.group(), i))
        i = end
    tokens.append(Token(T.EOF, "", n))
    return tokens


def _literal_at(text: str, i: int) -> Token | None:
    for kind, pattern in ((T.GUID, _GUID), (T.DATETIME, _DATETIME), (T.NUMBER, _NUMBER)):
        match = pattern.match(text, i)
        if match is None:
            continue
        end = match.end()
        if end < len(text) and text[end] in _WORD_CHARS:
            if kind is T.GUID:
                continue  # e.g. 12345678-1234-… followed by more: not a GUID, let the others try
            raise QueryError(f"Invalid {kind.value} literal {text[i:end + 1]!r}…", code="InvalidLiteral", position=i)
        if kind is T.DATETIME and _LOST_PLUS.match(text, end):
            raise QueryError(
                "Time-zone offset separated by a space: a raw '+' in a URL means a space, encode it as %2B",
                code="InvalidLiteral", position=end,
            )
        return Token(kind, match.group(), i)
    return None


def _string_at(text: str, quote: int) -> tuple[str, int]:
    """The content of the string literal opening at `quote` and the index just after its closing quote."""
    parts: list[str] = []
    i = quote + 1
    while True:
        close = text.find("'", i)
        if close < 0:
            raise QueryError("Unterminated string literal", code="InvalidLiteral", position=quote)
        parts.append(text[i:close])
        if close + 1 < len(text) and text[close + 1] == "'":  # '' is one quote inside the literal
            parts.append("'")
            i = close + 2
            continue
        value = "".join(parts)
        if "\x00" in value:
            raise QueryError("String literals cannot contain NUL characters", code="InvalidLiteral", position=quote)
        return value, close + 1
