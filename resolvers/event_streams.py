"""Reserved event streams (single connection mode of GraphQL over SSE) as use-cases: who
reserved a stream, which process holds it, and the operations sent to it.

A stream's token is a secret that works like a bearer token for its operations, so only its
SHA-256 is stored, and every operation must come from the viewer who reserved the stream.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from resolvers.viewer import Role, Viewer
from sql import event_streams
from sql.event_streams import CHANNEL, Added
from sql.pool import Database

__all__ = ["CHANNEL", "Added", "Reservation", "hash_of"]


def hash_of(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Reservation:
    """A stream as the database has it: its viewer, when it expires, who holds it."""

    def __init__(self, row: event_streams.ReservationRow) -> None:
        self.viewer = Viewer(cast(Role, row.role), row.customer_id)
        self.expires_at = None if row.expires_at is None else row.expires_at.timestamp()
        self.holder = row.holder


async def reserve(db: Database, *, viewer: Viewer, expires_at: float | None) -> str:
    """A new stream's token (shown to the client once, never stored)."""
    token = secrets.token_urlsafe(32)
    expires = None if expires_at is None else datetime.fromtimestamp(expires_at, UTC)
    await event_streams.reserve(
        db,
        token_hash=hash_of(token),
        role=viewer.role,
        customer_id=viewer.customer_id,
        expires_at=expires,
    )
    return token


async def find(db: Database, token: str) -> Reservation | None:
    row = await event_streams.find(db, token_hash=hash_of(token))
    return None if row is None else Reservation(row)


async def claim(db: Database, token: str, *, holder: UUID) -> Reservation | None:
    """The stream, now served by `holder`; None when it is missing or served already."""
    row = await event_streams.claim(db, token_hash=hash_of(token), holder=holder)
    return None if row is None else Reservation(row)


async def release(db: Database, token: str, *, holder: UUID) -> None:
    await event_streams.release(db, token_hash=hash_of(token), holder=holder)


async def release_all(db: Database, *, holder: UUID) -> None:
    await event_streams.release_all(db, holder=holder)


async def add_operation(
    db: Database, token: str, operation_id: str, request: dict[str, Any], *, limit: int
) -> Added:
    return await event_streams.add_operation(
        db, token_hash=hash_of(token), operation_id=operation_id, request=request, limit=limit
    )


async def remove_operation(db: Database, token_hash: bytes, operation_id: str) -> None:
    await event_streams.remove_operation(db, token_hash=token_hash, operation_id=operation_id)


async def operations(db: Database, token_hash: bytes) -> dict[str, dict[str, Any]]:
    return await event_streams.operations(db, token_hash=token_hash)
