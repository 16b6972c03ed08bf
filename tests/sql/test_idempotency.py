"""Idempotency keys in the database: claim, replay, expiry, purge, racing claims."""

from __future__ import annotations

import asyncio

from sql import idempotency
from sql.pool import Database


async def test_claim_store_and_replay(db: Database) -> None:
    async with db.acquire() as conn, conn.transaction():
        first = await idempotency.claim(
            conn, operation="op", key="k", request_hash="h1", ttl_seconds=60
        )
        assert first.fresh
        await idempotency.store(conn, operation="op", key="k", response={"id": 1})
    async with db.acquire() as conn, conn.transaction():
        again = await idempotency.claim(
            conn, operation="op", key="k", request_hash="h2", ttl_seconds=60
        )
    assert (again.fresh, again.request_hash, again.response) == (False, "h1", {"id": 1})
    async with db.acquire() as conn:
        other_op = await idempotency.claim(
            conn, operation="other", key="k", request_hash="h1", ttl_seconds=60
        )
    assert other_op.fresh


async def test_expired_keys_are_taken_over_and_purged(db: Database) -> None:
    async with db.acquire() as conn:
        await idempotency.claim(conn, operation="op", key="old", request_hash="h", ttl_seconds=0)
        await idempotency.claim(conn, operation="op", key="new", request_hash="h", ttl_seconds=60)
        taken = await idempotency.claim(
            conn, operation="op", key="old", request_hash="h2", ttl_seconds=0
        )
        assert taken.fresh
    assert await idempotency.purge_expired(db) == 1
    assert await db.fetchval("SELECT array_agg(key) FROM idempotency_keys") == ["new"]


async def test_a_racing_claim_waits_for_the_first_and_reads_its_result(db: Database) -> None:
    async with db.acquire() as first, first.transaction():
        assert (
            await idempotency.claim(
                first, operation="op", key="r", request_hash="h", ttl_seconds=60
            )
        ).fresh

        async def second_claim() -> idempotency.Claim:
            async with db.acquire() as conn, conn.transaction():
                return await idempotency.claim(
                    conn, operation="op", key="r", request_hash="h", ttl_seconds=60
                )

        waiting = asyncio.create_task(second_claim())
        await asyncio.sleep(0.2)
        assert not waiting.done()  # blocked on the uncommitted key
        await idempotency.store(first, operation="op", key="r", response=[1, 2])
    result = await asyncio.wait_for(waiting, 5)
    assert (result.fresh, result.response) == (False, [1, 2])
