"""Reserved event streams in the database: one holder per stream, operations that notify
the holder in the statement that changes them, and pruning of the abandoned."""

from __future__ import annotations

import asyncio
import functools
from uuid import uuid4

import asyncpg

from sql import event_streams
from sql.event_streams import Added
from sql.pool import Database

KEY = b"\x01" * 32


async def test_a_stream_is_claimed_by_one_holder_and_released_with_its_operations(
    db: Database,
) -> None:
    await event_streams.reserve(
        db, token_hash=KEY, role="anonymous", customer_id=None, expires_at=None
    )
    first, second = uuid4(), uuid4()
    claimed = await event_streams.claim(db, token_hash=KEY, holder=first)
    assert claimed is not None
    assert claimed.holder == first
    assert await event_streams.claim(db, token_hash=KEY, holder=second) is None
    request = {"query": "{ __typename }", "variables": {"a": 1}}
    add = functools.partial(event_streams.add_operation, db, token_hash=KEY, limit=2)
    assert await add(operation_id="x", request=request) is Added.ADDED
    assert await add(operation_id="x", request={}) is Added.DUPLICATE
    assert await add(operation_id="y", request={}) is Added.ADDED
    assert await add(operation_id="z", request={}) is Added.FULL
    await event_streams.remove_operation(db, token_hash=KEY, operation_id="y")
    assert await event_streams.operations(db, token_hash=KEY) == {"x": request}
    await event_streams.release(db, token_hash=KEY, holder=second)  # not its holder: no effect
    assert await event_streams.find(db, token_hash=KEY) is not None
    await event_streams.release(db, token_hash=KEY, holder=first)
    assert await event_streams.find(db, token_hash=KEY) is None
    assert await db.fetchval("SELECT count(*) FROM event_stream_operations") == 0


async def test_an_operation_needs_its_stream(db: Database) -> None:
    added = await event_streams.add_operation(
        db, token_hash=KEY, operation_id="x", request={}, limit=10
    )
    assert added is Added.NO_STREAM


async def test_changes_to_operations_notify_with_the_streams_key(
    db: Database, database_url: str
) -> None:
    await event_streams.reserve(db, token_hash=KEY, role="staff", customer_id=None, expires_at=None)
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)
    try:
        await listener.add_listener(event_streams.CHANNEL, lambda *args: heard.put_nowait(args[3]))
        for _ in range(2):
            await event_streams.add_operation(
                db, token_hash=KEY, operation_id="x", request={}, limit=10
            )
        await event_streams.remove_operation(db, token_hash=KEY, operation_id="x")
        await event_streams.remove_operation(db, token_hash=KEY, operation_id="x")
        async with asyncio.timeout(5):
            assert [await heard.get(), await heard.get()] == [KEY.hex(), KEY.hex()]
        await asyncio.sleep(0.2)
        assert heard.empty()  # a refused add and a remove of nothing notify nobody
    finally:
        await listener.close()


async def test_prune_removes_unconnected_and_expired_reservations_only(db: Database) -> None:
    live, idle, expired = b"\x02" * 32, b"\x03" * 32, b"\x04" * 32
    for key in (live, idle, expired):
        await event_streams.reserve(
            db, token_hash=key, role="staff", customer_id=None, expires_at=None
        )
    await event_streams.claim(db, token_hash=live, holder=uuid4())
    await event_streams.claim(db, token_hash=expired, holder=uuid4())
    await db.execute(
        "UPDATE event_streams SET expires_at = now() - interval '1 hour' WHERE token_hash = $1",
        expired,
    )
    await db.execute("UPDATE event_streams SET created_at = now() - interval '1 hour'")
    assert await event_streams.prune(db, older_than_seconds=60) == 2
    assert await db.fetchval("SELECT array_agg(token_hash) FROM event_streams") == [live]
