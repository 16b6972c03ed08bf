"""What single connection mode of GraphQL over SSE asks of the store that keeps reserved
streams and their operations (`resolvers.event_streams` over PostgreSQL): the stream and the
requests that drive it may reach different processes, so none of it lives in memory."""

from __future__ import annotations

from typing import Any, Literal, Protocol
from uuid import UUID

from resolvers.viewer import Viewer

Added = Literal["added", "no stream", "full", "duplicate"]


class Reservation(Protocol):
    viewer: Viewer  # who reserved it: every operation must come from them
    expires_at: float | None  # when the reserving bearer token expires


class Reservations(Protocol):
    def key_of(self, token: str) -> bytes:
        """How the store names a stream (never the token itself); notifications carry it."""
        ...

    async def reserve(self, *, viewer: Viewer, expires_at: float | None) -> str:
        """A new stream's token."""
        ...

    async def find(self, token: str) -> Reservation | None: ...

    async def claim(self, token: str, *, holder: UUID) -> Reservation | None:
        """The stream, now served by `holder`; None when missing or served already."""
        ...

    async def release(self, token: str, *, holder: UUID) -> None: ...

    async def release_all(self, *, holder: UUID) -> None: ...

    async def add_operation(
        self, token: str, operation_id: str, request: dict[str, Any], *, limit: int
    ) -> Added:
        """Records an operation and tells the stream's holder, unless the stream is missing,
        holds `limit` already, or has one of that id."""
        ...

    async def start_cursor(self) -> str:
        """A cursor after which a new reader sees every event not yet committed."""
        ...

    async def remove_operation(self, key: bytes, operation_id: str) -> None: ...

    async def operations(self, key: bytes) -> dict[str, dict[str, Any]]:
        """Each operation of a stream by id: its request as it was sent."""
        ...
