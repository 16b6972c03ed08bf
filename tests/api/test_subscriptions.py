"""Subscriptions through a real server and a real WebSocket client: events after commits,
one execution per group of equal subscribers, and every role against every field."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol
from uuid import UUID

import pytest
from starlette.applications import Starlette

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import StatementRecorder
from tests.api.ws import Client, client, live_server
from tests.conftest import token

PRODUCTS = (
    "subscription($id: ID) { productChanged(id: $id) { cursor kind product { name price } } }"
)
ORDERS = "subscription($id: ID) { orderChanged(id: $id) { kind order { number status } } }"
CHANGES = "subscription { changes { kind nodeId rev node { id ... on Product { name } } } }"


@pytest.fixture
async def server(
    database_url: str, db: Database, recorder: StatementRecorder
) -> AsyncIterator[tuple[str, Starlette]]:
    async with live_server(database_url, query_logger=recorder) as served:
        yield served


async def settled(app: Starlette) -> None:
    """Returns once the server's feed follower has read everything committed so far."""
    listener = app.state.feed
    for _ in range(2):  # a read that began before this call may have missed the last commit
        reads = listener.reads
        listener.wake()
        async with asyncio.timeout(5):
            while listener.reads == reads:  # noqa: ASYNC110 - polls another task's counter
                await asyncio.sleep(0.01)


async def settled_rows(app: Starlette, db: Database, *products: str) -> tuple[UUID, list[UUID]]:
    """A category and products of these names in it, with the feed follower past their
    writes (so they are no subscriber's news): (the category, the products)."""
    category = await factories.category(db)
    made = [await factories.product(db, category, name) for name in products]
    await settled(app)
    return category, made


async def nexts(connection: Client, count: int) -> list[dict[str, Any]]:
    found = []
    for _ in range(count):
        message = await connection.receive()
        assert message["type"] == "next", message
        found.append(message)
    return found


class Receives(Protocol):
    async def receive(self, timeout: float = 5) -> Any: ...  # noqa: ASYNC109


async def nothing_more(connection: Receives, app: Starlette) -> None:
    """Nothing comes after what the test has received, once the feed has read everything
    committed so far (a websocket, an SSE stream, a multipart response alike)."""
    await settled(app)
    with pytest.raises(TimeoutError):
        await connection.receive(timeout=0.3)


async def test_a_product_update_reaches_its_subscriber_after_the_commit(
    server: tuple[str, Starlette], db: Database
) -> None:
    url, app = server
    _, [product] = await settled_rows(app, db, "Lamp")
    async with client(url) as anonymous:
        await anonymous.subscribe("1", PRODUCTS, {"id": to_global_id("Product", product)})
        await settled(app)
        await db.execute("UPDATE products SET price = 12.5, rev = rev + 1 WHERE id = $1", product)
        [message] = await nexts(anonymous, 1)
        assert message["id"] == "1"
        change = message["payload"]["data"]["productChanged"]
        assert change["kind"] == "UPDATED"
        assert change["product"] == {"name": "Lamp", "price": "12.50"}
        assert isinstance(change["cursor"], str)
        assert change["cursor"]
        await anonymous.send({"id": "1", "type": "complete"})
        await db.execute("UPDATE products SET price = 13, rev = rev + 1 WHERE id = $1", product)
        await nothing_more(anonymous, app)


async def test_each_role_sees_only_what_a_query_would_show_it(
    server: tuple[str, Starlette], db: Database
) -> None:
    """Anonymous, two customers and staff on all three fields; one write of each kind of
    document: a customer never learns of another's order or customer record."""
    url, app = server
    category = await factories.category(db)
    product = await factories.product(db, category, "Kettle")
    ann, bob = await factories.customer(db, "Ann"), await factories.customer(db, "Bob")
    order = await factories.order(db, ann, [(product, 1)])
    bobs_order = await factories.order(db, bob, [(product, 1)])
    viewers = {
        "anonymous": None,
        "ann": token("customer", ann),
        "bob": token("customer", bob),
        "staff": token("staff"),
    }
    await settled(app)
    async with contextlib.AsyncExitStack() as stack:
        connections = {
            name: await stack.enter_async_context(client(url, bearer=bearer))
            for name, bearer in viewers.items()
        }
        for connection in connections.values():
            await connection.subscribe("p", PRODUCTS)
            await connection.subscribe("o", ORDERS)
            await connection.subscribe("c", CHANGES)
            # Bob asks for Ann's order by its id: he must learn nothing of it.
            await connection.subscribe("ann-order", ORDERS, {"id": to_global_id("Order", order)})
        await settled(app)
        await db.execute("UPDATE products SET name = 'Pot', rev = rev + 1 WHERE id = $1", product)
        await db.execute(
            "UPDATE orders SET status = 'PAID', paid_at = now(), rev = rev + 1 WHERE id = $1", order
        )
        await db.execute("UPDATE customers SET name = 'Ann B', rev = rev + 1 WHERE id = $1", ann)
        await db.execute("UPDATE customers SET name = 'Bob B', rev = rev + 1 WHERE id = $1", bob)
        await settled(app)
        received = {name: await drain(c) for name, c in connections.items()}

    def seen(name: str) -> list[tuple[str, str]]:
        return [(m["id"], _subject(m)) for m in received[name]]

    product_id = to_global_id("Product", product)
    order_id, ann_id = to_global_id("Order", order), to_global_id("Customer", ann)
    bob_id = to_global_id("Customer", bob)
    catalogue = [("p", "Pot"), ("c", product_id)]
    anns = [("o", "PAID"), ("c", order_id), ("ann-order", "PAID"), ("c", ann_id)]
    assert seen("anonymous") == catalogue
    assert seen("ann") == catalogue + anns
    assert seen("bob") == [*catalogue, ("c", bob_id)]
    assert seen("staff") == [*catalogue, *anns, ("c", bob_id)]
    assert to_global_id("Order", bobs_order) not in str(received["ann"])


def _subject(message: dict[str, Any]) -> str:
    data = message["payload"]["data"]
    if "productChanged" in data:
        return str(data["productChanged"]["product"]["name"])
    if "orderChanged" in data:
        return str(data["orderChanged"]["order"]["status"])
    return str(data["changes"]["nodeId"])


async def drain(connection: Client) -> list[dict[str, Any]]:
    """Every message that has arrived, in order, until the line stays quiet."""
    found = []
    while True:
        try:
            found.append(await connection.receive(timeout=0.3))
        except TimeoutError:
            return found


async def test_soft_deleted_products_reach_others_with_a_null_node(
    server: tuple[str, Starlette], db: Database
) -> None:
    url, app = server
    _, [product] = await settled_rows(app, db, "Vase")
    async with client(url) as anonymous, client(url, bearer=token("staff")) as staff:
        for connection in (anonymous, staff):
            await connection.subscribe("p", PRODUCTS)
        await settled(app)
        await factories.soft_delete(db, "products", product)
        [seen_by_anonymous] = await nexts(anonymous, 1)
        [seen_by_staff] = await nexts(staff, 1)
    assert seen_by_anonymous["payload"]["data"]["productChanged"]["product"] is None
    assert seen_by_anonymous["payload"]["data"]["productChanged"]["kind"] == "DELETED"
    assert seen_by_staff["payload"]["data"]["productChanged"]["product"]["name"] == "Vase"


async def test_a_thousand_subscribers_cost_two_statements_per_update(
    server: tuple[str, Starlette], db: Database, recorder: StatementRecorder
) -> None:
    """1,000 subscriptions (over 10 connections) selecting five fields: one read of the
    feed and one read of the product, and the selection runs once."""
    url, app = server
    category = await factories.category(db)
    product = await factories.product(db, category, "Desk")
    selection = "subscription { productChanged { cursor kind product { name price stock } } }"
    await settled(app)
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(client(url)) for _ in range(10)]
        for connection in connections:
            for n in range(100):
                await connection.subscribe(str(n), selection)
        await settled(app)
        recorder.clear()
        executions = app.state.subscriptions.executions
        feed_reads = app.state.feed.reads  # one statement each, on the feed's own connection
        await db.execute("UPDATE products SET stock = 3, rev = rev + 1 WHERE id = $1", product)
        for connection in connections:
            messages = await nexts(connection, 100)
            assert {
                m["payload"]["data"]["productChanged"]["product"]["stock"] for m in messages
            } == {3}
        statements = [s for s in recorder.statements if "UPDATE products" not in s]
        reads = app.state.feed.reads - feed_reads
        assert reads + len(statements) <= 2, [" ".join(s.split())[:70] for s in statements]
        assert app.state.subscriptions.executions == executions + 1


async def test_review_writes_reach_every_viewer_of_the_feed_as_reviews(
    server: tuple[str, Starlette], db: Database
) -> None:
    """An entity added by its spec enters the feed with its own type and public visibility,
    though its rows name a customer: anyone may read a review."""
    url, app = server
    category = await factories.category(db)
    product = await factories.product(db, category, "Chair")
    ann = await factories.customer(db, "Ann")
    await settled(app)
    query = "subscription { changes { kind nodeId node { id ... on Review { rating title } } } }"
    async with client(url) as anonymous:
        await anonymous.subscribe("c", query)
        await settled(app)
        review = await factories.review(db, product, ann, rating=5, title="Sturdy")
        [created] = await nexts(anonymous, 1)  # a node is read at fan-out: one write at a time
        await db.execute("UPDATE reviews SET rating = 3, rev = rev + 1 WHERE id = $1", review)
        [updated] = await nexts(anonymous, 1)
    global_id = to_global_id("Review", review)
    assert created["payload"]["data"]["changes"] == {
        "kind": "CREATED",
        "nodeId": global_id,
        "node": {"id": global_id, "rating": 5, "title": "Sturdy"},
    }
    assert updated["payload"]["data"]["changes"]["kind"] == "UPDATED"
    assert updated["payload"]["data"]["changes"]["node"]["rating"] == 3
