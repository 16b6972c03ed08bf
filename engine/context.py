"""What the engine asks of a request's context; the schema's own context type (its
database, loaders, viewer) satisfies it without the engine importing it."""

from __future__ import annotations

from typing import Protocol


class WrittenAt(Protocol):
    @property
    def lsn(self) -> int: ...


class RequestScope(Protocol):
    @property
    def request_id(self) -> str: ...

    @property
    def written(self) -> WrittenAt:
        """Where this request's last committed write left the WAL (0: it wrote nothing)."""
        ...

    def read_once(self) -> None:
        """From here on every read of this request runs once: for a query that may be
        executed twice, compiled and then by graphql-core."""
        ...
