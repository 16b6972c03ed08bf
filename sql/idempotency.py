"""Idempotency keys: claim a key inside the mutation's transaction, store its result there.

`claim` inserts the key. When another transaction holds the same key uncommitted, the
insert waits for it: if that one commits, the key is taken and its stored result is read;
if it rolls back, this one takes the key. Expired keys are taken over as if absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from sql.pool import Connection, Database

CLAIM = """
INSERT INTO idempotency_keys (operation, key, request_hash, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (operation, key) DO UPDATE
    SET request_hash = excluded.request_hash, response = NULL,
        created_at = now(), expires_at = excluded.expires_at
    WHERE idempotency_keys.expires_at <= now()
RETURNING true
"""

EXISTING = """
SELECT request_hash, response FROM idempotency_keys WHERE operation = $1 AND key = $2
"""

STORE = "UPDATE idempotency_keys SET response = $3 WHERE operation = $1 AND key = $2"

PURGE = "DELETE FROM idempotency_keys WHERE expires_at <= now()"


@dataclass(frozen=True, slots=True)
class Claim:
    """`fresh`: this transaction owns the key and must store a result. Otherwise the key
    was used before, with `request_hash`, and `response` is what it stored."""

    fresh: bool
    request_hash: str | None = None
    response: Any = None


async def claim(
    conn: Connection, *, operation: str, key: str, request_hash: str, ttl_seconds: float
) -> Claim:
    if await conn.fetchval(CLAIM, operation, key, request_hash, ttl_seconds):
        return Claim(fresh=True)
    record = await conn.fetchrow(EXISTING, operation, key)
    assert record is not None  # the conflict that stopped the insert is committed
    response = None if record["response"] is None else orjson.loads(record["response"])
    return Claim(fresh=False, request_hash=record["request_hash"], response=response)


async def store(conn: Connection, *, operation: str, key: str, response: Any) -> None:
    await conn.execute(STORE, operation, key, orjson.dumps(response).decode())


async def purge_expired(executor: Connection | Database) -> int:
    status = await executor.execute(PURGE)
    return int(status.split()[-1])
