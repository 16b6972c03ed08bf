"""Property: subscribers that drop and resume at random points while writers run receive,
joined over all their subscriptions, exactly the committed events they may see, in commit
order, each once.

Writers update products and a customer's records in transactions of one to six writes,
pausing at random before commit, some rolling back. Subscribers (anonymous and a customer)
start from a cursor taken before the writers, then at random: close the socket, send
`complete` and subscribe again on the same socket, or simply read on; a queue of two lets
bursts end some of them with SUBSCRIBER_TOO_SLOW, and they resume from the cursor that error
carries (`test_subscription_resume` makes that path certain). The expected list is read
from the outbox at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any
from uuid import UUID

import pytest
from websockets.exceptions import ConnectionClosed

from resolvers.changes import cursor_of, owned
from sql.feed import Position
from sql.pool import Database
from tests import factories
from tests.api.test_subscriptions import settled
from tests.api.ws import client, live_server
from tests.conftest import token

CHANGES = "subscription($after: String) { changes(after: $after) { cursor nodeId } }"
WRITERS = 4
TRANSACTIONS = 15
QUEUE = 2


async def write(db: Database, rng: random.Random, product: UUID, ann: UUID | None) -> None:
    """Transactions on one product (and Ann's record): writers never wait on each other."""
    for _ in range(TRANSACTIONS):
        with contextlib.suppress(RuntimeError):
            async with db.acquire() as conn, conn.transaction():
                for _ in range(rng.randint(1, 6)):
                    if ann is not None and rng.random() < 0.3:
                        await conn.execute(
                            "UPDATE customers SET name = $2, rev = rev + 1 WHERE id = $1",
                            ann,
                            f"Ann {rng.random()}",
                        )
                    else:
                        await conn.execute(
                            "UPDATE products SET stock = stock + 1, rev = rev + 1 WHERE id = $1",
                            product,
                        )
                await asyncio.sleep(rng.random() * 0.03)  # in flight: later writes overtake
                if rng.random() < 0.15:
                    raise RuntimeError("rolled back: must record nothing")
        await asyncio.sleep(rng.random() * 0.02)


class Subscriber:
    def __init__(self, url: str, bearer: str | None, start: str, rng: random.Random) -> None:
        self.url, self.bearer, self.rng = url, bearer, rng
        self.cursor = start
        self.received: list[tuple[str, str]] = []  # (cursor, nodeId)
        self.resumes = 0
        self.too_slow = 0
        self.until = 10**9  # events to hold once the writers are done (known then)

    async def run(self, writing: asyncio.Event) -> None:
        """Drops and resumes while `writing`; afterwards reads until it holds `until` events."""
        while writing.is_set() or len(self.received) < self.until:
            async with client(self.url, bearer=self.bearer) as connection:
                with contextlib.suppress(ConnectionClosed):
                    for n in range(self.rng.randint(1, 3)):  # subscriptions on one socket
                        id = f"s{n}"
                        self.resumes += 1
                        await connection.subscribe(id, CHANGES, {"after": self.cursor})
                        if not await self._read(connection, id, writing):
                            break
                        await connection.send({"id": id, "type": "complete"})
                        await self._drain_until_quiet(connection, id)
            await asyncio.sleep(self.rng.random() * 0.05)

    async def _read(self, connection: Any, id: str, writing: asyncio.Event) -> bool:
        """Reads some events (all of them once the writers are done); False: stream ended."""
        budget = self.rng.randint(0, 8) if writing.is_set() else 10**9
        while budget > 0 and (writing.is_set() or len(self.received) < self.until):
            try:
                message = await connection.receive(timeout=0.2)
            except TimeoutError:
                budget -= 1
                continue
            if not self._take(message, id):
                return False
            budget -= 1
        return True

    async def _drain_until_quiet(self, connection: Any, id: str) -> None:
        """After `complete`, events already queued may still arrive: they count."""
        with contextlib.suppress(TimeoutError):
            while True:
                self._take(await connection.receive(timeout=0.1), id)

    def _take(self, message: dict[str, Any], id: str) -> bool:
        if message.get("id") != id or message["type"] == "complete":
            return False
        assert message["type"] == "next", message
        payload = message["payload"]
        if payload.get("errors"):
            [error] = payload["errors"]
            assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW", error
            assert error["extensions"]["cursor"] == self.cursor  # the last one delivered
            self.too_slow += 1
            return True  # `complete` follows
        change = payload["data"]["changes"]
        self.received.append((change["cursor"], change["nodeId"]))
        self.cursor = change["cursor"]
        return True


async def visible_after(db: Database, start: Position, owner: UUID | None) -> list[str]:
    rows = await db.fetch(
        "SELECT xid::text::bigint, seq, table_name, owner_id FROM change_events"
        " WHERE (xid, seq) > ($1::text::xid8, $2::bigint) ORDER BY xid, seq",
        str(start.xid),
        start.seq,
    )
    return [
        cursor_of(Position(r[0], r[1]))
        for r in rows
        if not owned(r[2]) or (owner is not None and r[3] == owner)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_resumed_subscribers_receive_every_visible_event_once_in_order(
    database_url: str, db: Database, seed: int
) -> None:
    rng = random.Random(seed)
    category = await factories.category(db)
    products = [await factories.product(db, category, f"P{n}") for n in range(WRITERS)]
    ann = await factories.customer(db, "Ann")
    await factories.customer(db, "Bob")  # Bob's events reach no one here but staff
    row = await db.fetchrow(
        "SELECT xid::text::bigint, seq FROM change_events ORDER BY xid DESC, seq DESC LIMIT 1"
    )
    assert row is not None
    start = Position(row[0], row[1])
    async with live_server(database_url, subscriber_queue_size=QUEUE) as (url, app):
        viewers = [None, token("customer", ann), None, token("customer", ann)]
        subscribers = [
            Subscriber(url, bearer, cursor_of(start), random.Random(rng.random()))
            for bearer in viewers
        ]
        writing = asyncio.Event()
        writing.set()
        expected: dict[int, list[str]] = {}

        async def writers() -> None:
            await asyncio.gather(
                *(
                    write(db, random.Random(rng.random()), product, ann if n == 0 else None)
                    for n, product in enumerate(products)
                )
            )
            await settled(app)
            for i, sub in enumerate(subscribers):
                owner = ann if sub.bearer is not None else None
                expected[i] = await visible_after(db, start, owner)
                sub.until = len(expected[i])
            writing.clear()

        async with asyncio.timeout(90):
            await asyncio.gather(writers(), *(s.run(writing) for s in subscribers))
        for i, sub in enumerate(subscribers):
            cursors = [cursor for cursor, _ in sub.received]
            assert cursors == expected[i], (seed, i, sub.resumes, sub.too_slow)
        assert sum(s.resumes for s in subscribers) > 3 * len(subscribers)
