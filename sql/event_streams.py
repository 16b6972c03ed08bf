"""Reserved event streams and their operations (single connection mode of GraphQL over SSE).

Each change to a stream's operations notifies `CHANNEL` with the stream's key in the same
statement, so the process holding the stream hears of it once the change has committed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from sql.pool import Database

CHANNEL = "storefront_event_streams"


class Added(enum.Enum):
    ADDED = "added"
    NO_STREAM = "no stream"
    FULL = "full"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class ReservationRow:
    role: str
    customer_id: UUID | None
    expires_at: datetime | None
    holder: UUID | None


RESERVE = """
INSERT INTO event_streams (token_hash, role, customer_id, expires_at)
VALUES ($1, $2, $3, $4)
"""

FIND = "SELECT role, customer_id, expires_at, holder FROM event_streams WHERE token_hash = $1"

CLAIM = """
UPDATE event_streams SET holder = $2
WHERE token_hash = $1 AND holder IS NULL
RETURNING role, customer_id, expires_at, holder
"""

RELEASE = "DELETE FROM event_streams WHERE token_hash = $1 AND holder = $2"

RELEASE_ALL = "DELETE FROM event_streams WHERE holder = $1"

ADD_OPERATION = """
WITH stream AS (
    SELECT (SELECT count(*) FROM event_stream_operations WHERE token_hash = $1) AS used
    FROM event_streams WHERE token_hash = $1
),
added AS (
    INSERT INTO event_stream_operations (token_hash, operation_id, request)
    SELECT $1, $2, $3::jsonb FROM stream WHERE used < $5
    ON CONFLICT ON CONSTRAINT event_stream_operations_pkey DO NOTHING
    RETURNING 1
),
noted AS (SELECT pg_notify($4, encode($1, 'hex')) FROM added)
SELECT (SELECT used FROM stream), (SELECT count(*) FROM noted) > 0
"""

REMOVE_OPERATION = """
WITH gone AS (
    DELETE FROM event_stream_operations WHERE token_hash = $1 AND operation_id = $2
    RETURNING 1
)
SELECT true FROM gone CROSS JOIN LATERAL pg_notify($3, encode($1, 'hex'))
"""

OPERATIONS = """
SELECT operation_id, request FROM event_stream_operations
WHERE token_hash = $1
ORDER BY operation_id
"""

PRUNE = """
DELETE FROM event_streams
WHERE created_at < now() - make_interval(secs => $1)
  AND (holder IS NULL OR expires_at < now())
"""


async def reserve(
    db: Database,
    *,
    token_hash: bytes,
    role: str,
    customer_id: UUID | None,
    expires_at: datetime | None,
) -> None:
    await db.execute(RESERVE, token_hash, role, customer_id, expires_at)


async def find(db: Database, *, token_hash: bytes) -> ReservationRow | None:
    row = await db.fetchrow(FIND, token_hash)
    return None if row is None else ReservationRow(*row)


async def claim(db: Database, *, token_hash: bytes, holder: UUID) -> ReservationRow | None:
    """The reservation, now held by `holder`; None when missing or already held."""
    row = await db.fetchrow(CLAIM, token_hash, holder)
    return None if row is None else ReservationRow(*row)


async def release(db: Database, *, token_hash: bytes, holder: UUID) -> None:
    """Ends a reservation with its operations (the stream is gone)."""
    await db.execute(RELEASE, token_hash, holder)


async def release_all(db: Database, *, holder: UUID) -> None:
    await db.execute(RELEASE_ALL, holder)


async def add_operation(
    db: Database, *, token_hash: bytes, operation_id: str, request: dict[str, Any], limit: int
) -> Added:
    """Adds an operation unless the stream is missing, holds `limit` already, or has one
    of that id."""
    body = orjson.dumps(request).decode()
    row = await db.fetchrow(ADD_OPERATION, token_hash, operation_id, body, CHANNEL, limit)
    assert row is not None  # an aggregate-free SELECT of scalars: always one row
    used, added = row
    if added:
        return Added.ADDED
    if used is None:
        return Added.NO_STREAM
    return Added.FULL if used >= limit else Added.DUPLICATE


async def remove_operation(db: Database, *, token_hash: bytes, operation_id: str) -> None:
    await db.execute(REMOVE_OPERATION, token_hash, operation_id, CHANNEL)


async def operations(db: Database, *, token_hash: bytes) -> dict[str, dict[str, Any]]:
    """Each operation of a stream by id: its request as it was sent."""
    rows = await db.fetch(OPERATIONS, token_hash)
    return {row[0]: orjson.loads(row[1]) for row in rows}


async def prune(db: Database, *, older_than_seconds: float) -> int:
    """Removes reservations never connected, or whose token has expired, after a while."""
    result = await db.execute(PRUNE, older_than_seconds)
    return int(result.split()[-1])
