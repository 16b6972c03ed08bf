"""Subscriptions through a real server and a real WebSocket client: events after commits,
one execution per group of equal subscribers, and every role against every field."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from starlette.applications import Starlette

from gql.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import StatementRecorder
from tests.api.ws import Client, client, live_server
from tests.conftest import token

PRODUCTS = (
    "subscription($id: ID) { productChanged(id: $id) { cursor kind product { name price } } }"
)
ORDERS = "subscription($id: ID) { orderChanged(id: $id) { kind order { number status } } }"
CHANGES = "subscription { changes { kind id rev node { id ... on Product { name } } } }"


@pytest.fixture
async def server(
    database_url: str, db: Database, recorder: StatementRecorder
) -> AsyncIterator[tuple[str, Starlette]]:
    async with live_server(database_url, query_logger=recorder) as served:
        yield served


async def settled(app: Starlette) -> None:
    """Returns once the server's feed follower has read everything committed so far."""
    listener = app.state.feed
    reads = listener.reads
    listener.wake()
    async with asyncio.timeout(5):
        while listener.reads < reads + 2:
            await asyncio.sleep(0.01)
            listener.wake()


async def nexts(connection: Client, count: int) -> list[dict[str, Any]]:
    found = []
    for _ in range(count):
        message = await connection.receive()
        assert message["type"] == "next", message
        found.append(message)
    return found


async def nothing_more(connection: Client, app: Starlette) -> None:
    await settled(app)
    with pytest.raises(TimeoutError):
        await connection.receive(timeout=0.3)


async def test_a_product_update_reaches_its_subscriber_after_the_commit(
    server: tuple[str, Starlette], db: Database
) -> None:
    url, app = server
    category = await factories.category(db)
    product = await factories.product(db, category, "Lamp")
    async with client(url) as anonymous:
        await anonymous.subscribe("1", PRODUCTS, {"id": to_global_id("Product", product)})
        await settled(app)
        await db.execute("UPDATE products SET price = 12.5, rev = rev + 1 WHERE id = $1", product)
        [message] = await nexts(anonymous, 1)
        assert message["id"] == "1"
        change = message["payload"]["data"]["productChanged"]
        assert change["kind"] == "UPDATED"
        assert change["product"] == {"name": "Lamp", "price": "12.50"}
        assert isinstance(change["cursor"], str) and change["cursor"]
        await anonymous.send({"id": "1", "type": "complete"})
        await db.execute("UPDATE products SET price = 13, rev = rev + 1 WHERE id = $1", product)
        await nothing_more(anonymous, app)
