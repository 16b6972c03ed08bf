"""Resuming subscriptions from a cursor, through a real server and WebSocket client: the
events after the cursor from the outbox, then live ones, each once; expired, malformed and
foreign cursors; what a viewer may see holds for replayed events too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from starlette.applications import Starlette

from resolvers.changes import cursor_of
from sql import feed
from sql.feed import Position
from sql.pool import Database
from tests import factories
from tests.api.test_subscriptions import nexts, nothing_more, settled
from tests.api.ws import Client, client, live_server
from tests.conftest import token

PRODUCTS = (
    "subscription($after: String) { productChanged(after: $after) { cursor product { name } } }"
)
CHANGES = "subscription($after: String) { changes(after: $after) { cursor kind nodeId rev } }"


@pytest.fixture
async def server(database_url: str, db: Database) -> AsyncIterator[tuple[str, Starlette]]:
    async with live_server(database_url) as served:
        yield served


async def rename(db: Database, product: UUID, *names: str) -> None:
    for name in names:
        await db.execute(
            "UPDATE products SET name = $2, rev = rev + 1 WHERE id = $1", product, name
        )


def names(messages: list[dict[str, Any]]) -> list[str]:
    return [m["payload"]["data"]["productChanged"]["product"]["name"] for m in messages]


async def ended_with(connection: Client, id: str) -> dict[str, Any]:
    """The one error of a stream that ends at once, after checking it is followed by complete."""
    [message] = await nexts(connection, 1)
    assert message["id"] == id
    assert message["payload"].get("data") is None, message
    [error] = message["payload"]["errors"]
    assert await connection.receive() == {"id": id, "type": "complete"}
    return dict(error)


async def test_a_resumed_subscription_replays_what_it_missed_then_continues_live(
    server: tuple[str, Starlette], db: Database
) -> None:
    url, app = server
    product = await factories.product(db, await factories.category(db), "a")
    await settled(app)
    async with client(url) as first:
        await first.subscribe("1", CHANGES)
        await settled(app)
        await rename(db, product, "b", "c")
        held = await nexts(first, 2)
    assert revs(held) == [2, 3]
    last = held[-1]["payload"]["data"]["changes"]["cursor"]
    await rename(db, product, "d", "e")  # while no one listens
    await settled(app)
    async with client(url) as again:
        await again.subscribe("2", CHANGES, {"after": last})
        assert revs(await nexts(again, 2)) == [4, 5]
        await rename(db, product, "f")
        assert revs(await nexts(again, 1)) == [6]
        await nothing_more(again, app)
    async with client(url) as other:  # the node is read as it is now, as live events show it
        await other.subscribe("3", PRODUCTS, {"after": last})
        assert names(await nexts(other, 3)) == ["f", "f", "f"]


def revs(messages: list[dict[str, Any]]) -> list[int]:
    return [m["payload"]["data"]["changes"]["rev"] for m in messages]


async def test_resuming_from_the_newest_cursor_replays_nothing(
    server: tuple[str, Starlette], db: Database
) -> None:
    url, app = server
    product = await factories.product(db, await factories.category(db), "a")
    await rename(db, product, "b")
    await settled(app)
    newest = await db.fetchrow(
        "SELECT xid::text::bigint, seq FROM change_events ORDER BY xid DESC, seq DESC LIMIT 1"
    )
    assert newest is not None
    async with client(url) as anonymous:
        await anonymous.subscribe("1", PRODUCTS, {"after": cursor_of(Position(*newest))})
        await nothing_more(anonymous, app)
        await rename(db, product, "c")
        assert names(await nexts(anonymous, 1)) == ["c"]


async def test_replayed_events_are_only_those_the_viewer_may_see(
    server: tuple[str, Starlette], db: Database
) -> None:
    url, app = server
    product = await factories.product(db, await factories.category(db), "a")
    ann, bob = await factories.customer(db, "Ann"), await factories.customer(db, "Bob")
    await rename(db, product, "start")
    start = await db.fetchrow(
        "SELECT xid::text::bigint, seq FROM change_events ORDER BY xid DESC, seq DESC LIMIT 1"
    )
    assert start is not None
    await factories.order(db, ann, [(product, 1)])
    await factories.order(db, bob, [(product, 1)])
    await settled(app)
    seen: dict[str, list[str]] = {}
    for name, bearer in {"ann": token("customer", ann), "staff": token("staff")}.items():
        async with client(url, bearer=bearer) as viewer:
            await viewer.subscribe("c", CHANGES, {"after": cursor_of(Position(*start))})
            await settled(app)
            received = []
            while True:
                try:
                    message = await viewer.receive(timeout=0.5)
                except TimeoutError:
                    break
                received.append(message["payload"]["data"]["changes"]["nodeId"])
            seen[name] = received
    staff_only = set(seen["staff"]) - set(seen["ann"])
    assert len(seen["staff"]) > len(seen["ann"]) > 0
    assert all(node in seen["staff"] for node in seen["ann"])
    assert staff_only  # Bob's order (and its stock change) reached staff alone ...
    assert all(not n.startswith("Q3VzdG9tZXI") for n in seen["ann"])  # ... no customer record


async def test_a_cursor_whose_events_were_pruned_is_expired(
    server: tuple[str, Starlette], db: Database
) -> None:
    url, app = server
    product = await factories.product(db, await factories.category(db), "a")
    await rename(db, product, "b", "c")
    rows = await db.fetch("SELECT xid::text::bigint, seq FROM change_events ORDER BY xid, seq")
    oldest = cursor_of(Position(*rows[0]))
    while await feed.prune(db, older_than_seconds=0):
        pass
    await settled(app)
    async with client(url) as anonymous:
        await anonymous.subscribe("old", PRODUCTS, {"after": oldest})
        error = await ended_with(anonymous, "old")
    assert error["extensions"]["code"] == "CURSOR_EXPIRED"
    assert "no longer kept" in error["message"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "",
        cursor_of(Position(2**40, 1)),  # well formed, but no event of this feed
        "djI6NTox",  # v2:5:1, a version that does not exist
        "YXJyYXljb25uZWN0aW9uOjA",  # a page cursor (arrayconnection:0)
    ],
)
async def test_a_malformed_or_foreign_cursor_is_bad_user_input(
    server: tuple[str, Starlette], db: Database, cursor: str
) -> None:
    url, app = server
    product = await factories.product(db, await factories.category(db), "a")
    await settled(app)
    async with client(url) as anonymous:
        await anonymous.subscribe("bad", PRODUCTS, {"after": cursor})
        error = await ended_with(anonymous, "bad")
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        await anonymous.subscribe("good", PRODUCTS)  # the connection serves on
        await settled(app)
        await rename(db, product, "b")
        assert names(await nexts(anonymous, 1)) == ["b"]
