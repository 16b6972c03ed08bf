"""Domain exceptions raised by use-cases; the GraphQL edge maps each to what clients see."""

from __future__ import annotations


class BadUserInput(Exception):
    """The request itself is wrong (a bad cursor, page size or argument): the client must
    change it. Shown as a top-level error with a clear message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
