"""Typed errors of the query layer: what is wrong and where in the query text (0-based character position)."""

from __future__ import annotations

from rs.errors import DomainError


class QueryError(DomainError):
    """A query the catalog cannot run. `code` names the kind of problem (UnknownProperty, SyntaxError, …)."""

    def __init__(
        self, message: str, *, code: str = "SyntaxError", position: int | None = None, subject: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.position = position
        self.subject = subject  # the offending name (property, function, type) when there is one

    def __str__(self) -> str:
        return self.message if self.position is None else f"{self.message} at position {self.position}"


class InvalidSkipToken(QueryError):
    """A $skiptoken that was not issued by us, was altered, or belongs to another query."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="InvalidSkipToken")
