"""The change feed: the triggers record every write in its own transaction, and a follower
sees every committed event exactly once, in position order, however commits interleave."""

from __future__ import annotations

import asyncio
import random
from uuid import UUID

import asyncpg

from sql import feed
from sql.feed import ChangeEvent, Position
from sql.feed_listener import FeedListener
from sql.pool import Database
from tests import factories


async def events_since(db: Database, position: Position) -> list[ChangeEvent]:
    """Every event readable after `position`, waiting for in-flight ones to end."""
    found: list[ChangeEvent] = []
    for _ in range(200):
        batch = await feed.read_after(db, position)
        found += batch.events
        position = batch.end
        if not batch.waiting:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("the feed never caught up")


async def test_each_write_records_its_kind_owner_and_changed_fields(db: Database) -> None:
    start = await feed.start_position(db)
    category = await factories.category(db)
    product = await factories.product(db, category)
    customer = await factories.customer(db)
    order = await factories.order(db, customer, [(product, 1)])
    await db.execute("UPDATE products SET price = 12, rev = rev + 1 WHERE id = $1", product)
    await db.execute("UPDATE products SET deleted_at = now(), rev = rev + 1 WHERE id = $1", product)
    await db.execute("UPDATE products SET deleted_at = NULL, rev = rev + 1 WHERE id = $1", product)
    await db.execute("UPDATE order_lines SET quantity = 2")  # lines are part of their order

    events = await events_since(db, start)
    seen = [(e.kind, e.table, e.id, e.rev, e.owner_id) for e in events]
    assert seen == [
        ("CREATED", "categories", category, 1, None),
        ("CREATED", "products", product, 1, None),
        ("CREATED", "customers", customer, 1, customer),
        ("CREATED", "orders", order, 1, customer),
        ("UPDATED", "orders", order, 1, customer),  # the factory sets the total afterwards
        ("UPDATED", "products", product, 2, None),
        ("DELETED", "products", product, 3, None),
        ("RESTORED", "products", product, 4, None),
    ]
    assert events[5].fields == ("price",)
    assert events[6].fields == ("deleted_at",)
    assert "search" not in events[1].fields
    assert "sku" in events[1].fields
    assert [e.position for e in events] == sorted(e.position for e in events)


async def test_a_rolled_back_write_records_nothing(db: Database) -> None:
    category = await factories.category(db)
    start = await feed.start_position(db)
    async with db.acquire() as conn:
        tr = conn.transaction()
        await tr.start()
        await conn.execute("UPDATE categories SET name = 'x' WHERE id = $1", category)
        await tr.rollback()
    await db.execute("UPDATE categories SET name = 'y' WHERE id = $1", category)
    events = await events_since(db, start)
    assert [(e.kind, e.id) for e in events] == [("UPDATED", category)]


WRITERS = 32
WRITES_EACH = 5


async def test_a_follower_sees_every_committed_event_once_in_order(
    db: Database, database_url: str
) -> None:
    """32 writers that pause at random before committing (so commits land out of xid
    order), some of which roll back; a follower that reads as it is woken, all along."""
    category = await factories.category(db)
    products = [await factories.product(db, category) for _ in range(WRITERS)]
    received: list[ChangeEvent] = []

    async def deliver(events: list[ChangeEvent]) -> None:
        received.extend(events)

    follower = FeedListener(database_url, deliver, recheck=0.01)
    await follower.start()
    committed: set[tuple[UUID, int]] = set()
    rng = random.Random(15)

    async def writer(product: UUID) -> None:
        conn = await asyncpg.connect(database_url)
        try:
            for _ in range(WRITES_EACH):
                tr = conn.transaction()
                await tr.start()
                rev = await conn.fetchval(
                    "UPDATE products SET stock = stock + 1, rev = rev + 1 WHERE id = $1 "
                    "RETURNING rev",
                    product,
                )
                await asyncio.sleep(rng.random() * 0.05)
                if rng.random() < 0.2:
                    await tr.rollback()
                else:
                    await tr.commit()
                    committed.add((product, rev))
        finally:
            await conn.close()

    try:
        await asyncio.gather(*(writer(p) for p in products))
        async with asyncio.timeout(10):
            while len(received) < len(committed):  # noqa: ASYNC110 - another task appends
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # anything extra would show up now
    finally:
        await follower.stop()
    # A follower starts just below the oldest transaction in flight, so it may also see the
    # products' creation, committed just before it started: only the writers' updates count.
    mine = [e for e in received if e.table == "products" and e.kind == "UPDATED"]
    assert [e.position for e in mine] == sorted({e.position for e in mine})  # ordered, once
    assert {(e.id, e.rev) for e in mine} == committed
    assert len(mine) == len(committed)


async def test_the_follower_catches_up_after_its_connection_drops(
    db: Database, database_url: str
) -> None:
    category = await factories.category(db)
    received: list[ChangeEvent] = []

    async def deliver(events: list[ChangeEvent]) -> None:
        received.extend(events)

    follower = FeedListener(database_url, deliver, recheck=0.01, max_backoff=0.2)
    await follower.start()
    try:
        await db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'storefront-feed' AND datname = current_database()"
        )
        for n in range(3):  # written while the follower is away
            await db.execute("UPDATE categories SET name = $2 WHERE id = $1", category, f"n{n}")
        async with asyncio.timeout(10):
            while len(received) < 3:  # noqa: ASYNC110 - another task appends
                await asyncio.sleep(0.02)
    finally:
        await follower.stop()
    assert [e.id for e in received] == [category] * 3


async def test_pruning_removes_old_events_only_by_one_process_at_a_time(db: Database) -> None:
    category = await factories.category(db)
    await db.execute("UPDATE change_events SET at = now() - interval '2 days'")
    await db.execute("UPDATE categories SET name = 'fresh' WHERE id = $1", category)
    async with db.acquire() as other, other.transaction():
        await other.execute("SELECT pg_advisory_xact_lock($1)", feed.PRUNE_LOCK_KEY)
        assert await feed.prune(db, older_than_seconds=3600) == 0  # someone else prunes
    old = await db.fetchval(
        "SELECT count(*) FROM change_events WHERE at < now() - interval '1 day'"
    )
    assert old > 0
    assert await feed.prune(db, older_than_seconds=3600, batch=1) == 1
    while await feed.prune(db, older_than_seconds=3600):  # a batch at a time
        pass
    left = await db.fetch("SELECT table_name, fields FROM change_events")
    assert [r["table_name"] for r in left] == ["categories"]
    assert await feed.pruned_through(db) is not None


async def test_the_pruned_mark_only_moves_forward(db: Database) -> None:
    """Write times do not follow positions exactly (a transaction's xid comes with its first
    write, its events' times with each statement): pruning by time may remove an event below
    the mark of an earlier round. The mark must stay the highest position ever removed, or
    a cursor between the two would resume over a gap."""
    await db.execute("DELETE FROM change_events")
    await db.execute("DELETE FROM change_events_pruned")
    for xid, hours in ((3, 2), (4, 5)):  # the later position was written earlier
        await db.execute(
            "INSERT INTO change_events (xid, kind, table_name, id, rev, fields, at) "
            "VALUES ($1::text::xid8, 'UPDATED', 'products', gen_random_uuid(), 2, '{}', "
            "now() - make_interval(hours => $2))",
            str(xid),
            hours,
        )
    assert await feed.prune(db, older_than_seconds=4 * 3600) == 1  # xid 4 only
    mark = await feed.pruned_through(db)
    assert mark is not None
    assert mark.xid == 4
    assert await feed.prune(db, older_than_seconds=3600) == 1  # then xid 3
    assert await feed.pruned_through(db) == mark
    resumed = await feed.resume_after(db, Position(3, 0))
    assert resumed.expired  # something after it (xid 4) is gone
