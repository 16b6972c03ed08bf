"""Reserved event streams (single connection mode of GraphQL over SSE) as use-cases: who
reserved a stream, which process holds it, and the operations sent to it.

A stream's token is a secret that works like a bearer token for its operations, so only its
SHA-256 is stored, and every operation must come from the viewer who reserved the stream.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, cast
from uuid import UUID

from resolvers.changes import cursor_of
from resolvers.viewer import Role, Viewer
from sql import event_streams, feed
from sql.event_streams import CHANNEL
from sql.pool import Database

__all__ = ["CHANNEL", "EventStreams", "Reservation"]

AddedName = Literal["added", "no stream", "full", "duplicate"]  # engine.stream_reservations


class Reservation:
    """A stream as the database has it: its viewer, when it expires, who holds it."""

    def __init__(self, row: event_streams.ReservationRow) -> None:
        self.viewer = Viewer(cast(Role, row.role), row.customer_id)
        self.expires_at = None if row.expires_at is None else row.expires_at.timestamp()
        self.holder = row.holder


class EventStreams:
    """The reservations of every process, in the database `db` gives."""

    def __init__(self, db: Callable[[], Database]) -> None:
        self.db = db

    def key_of(self, token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    async def reserve(self, *, viewer: Viewer, expires_at: float | None) -> str:
        """A new stream's token (shown to the client once, never stored)."""
        token = secrets.token_urlsafe(32)
        expires = None if expires_at is None else datetime.fromtimestamp(expires_at, UTC)
        await event_streams.reserve(
            self.db(),
            token_hash=self.key_of(token),
            role=viewer.role,
            customer_id=viewer.customer_id,
            expires_at=expires,
        )
        return token

    async def find(self, token: str) -> Reservation | None:
        row = await event_streams.find(self.db(), token_hash=self.key_of(token))
        return None if row is None else Reservation(row)

    async def claim(self, token: str, *, holder: UUID) -> Reservation | None:
        row = await event_streams.claim(self.db(), token_hash=self.key_of(token), holder=holder)
        return None if row is None else Reservation(row)

    async def release(self, token: str, *, holder: UUID) -> None:
        await event_streams.release(self.db(), token_hash=self.key_of(token), holder=holder)

    async def release_all(self, *, holder: UUID) -> None:
        await event_streams.release_all(self.db(), holder=holder)

    async def add_operation(
        self, token: str, operation_id: str, request: dict[str, Any], *, limit: int
    ) -> AddedName:
        added = await event_streams.add_operation(
            self.db(),
            token_hash=self.key_of(token),
            operation_id=operation_id,
            request=request,
            limit=limit,
        )
        return added.value

    async def start_cursor(self) -> str:
        return cursor_of(await feed.start_position(self.db()))

    async def remove_operation(self, key: bytes, operation_id: str) -> None:
        await event_streams.remove_operation(self.db(), token_hash=key, operation_id=operation_id)

    async def operations(self, key: bytes) -> dict[str, dict[str, Any]]:
        return await event_streams.operations(self.db(), token_hash=key)
