"""Apollo's multipart subscription protocol through a real server: `{"payload": result}`
parts, `{}` heartbeats, errors before execution as a payload, the closing delimiter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sql.pool import Database
from tests import factories
from tests.api.streams import Served, multipart
from tests.api.test_sse import base_of, started
from tests.api.test_subscriptions import PRODUCTS, settled_rows
from tests.api.ws import live_server


@pytest.fixture
async def served(database_url: str, db: Database) -> AsyncIterator[Served]:
    async with live_server(database_url, multipart_heartbeat=0.2, subscriber_queue_size=2) as (
        url,
        app,
    ):
        yield base_of(url) + "/graphql", app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def test_a_change_arrives_as_a_payload_part(
    served: Served, db: Database, http: httpx.AsyncClient
) -> None:
    url, app = served
    category, _ = await settled_rows(app, db)
    async with multipart(http, url, {"query": PRODUCTS}) as parts:
        content_type = parts.response.headers["content-type"]
        assert content_type.startswith("multipart/mixed")
        assert 'boundary="graphql"' in content_type
        assert 'subscriptionSpec="1.0"' in content_type
        await started(app)
        await factories.product(db, category, "Desk")
        part = await parts.receive()
        assert part["payload"]["data"]["productChanged"]["product"]["name"] == "Desk"


async def test_an_idle_subscription_gets_empty_heartbeat_parts(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    async with multipart(http, url, {"query": PRODUCTS}) as parts:
        assert await parts.receive(heartbeats=True) == {}
        assert await parts.receive(heartbeats=True) == {}


async def test_a_validation_error_is_a_payload_then_the_body_ends(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    async with multipart(http, url, {"query": "subscription { nope }"}) as parts:
        part = await parts.receive()
        assert part["payload"]["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        with pytest.raises(EOFError):
            await parts.receive()


async def test_a_subscriber_that_falls_behind_gets_the_typed_error_and_the_end(
    served: Served, db: Database, http: httpx.AsyncClient
) -> None:
    url, app = served
    _, [product] = await settled_rows(app, db, "Vase")
    async with multipart(http, url, {"query": PRODUCTS}) as parts:
        await started(app)
        async with db.acquire() as conn, conn.transaction():
            for n in range(5):
                await conn.execute("UPDATE products SET name = $2 WHERE id = $1", product, f"n{n}")
        first, second, last = [await parts.receive() for _ in range(3)]
        assert "data" in first["payload"]
        assert "data" in second["payload"]
        [error] = last["payload"]["errors"]
        assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        assert (
            error["extensions"]["cursor"] == second["payload"]["data"]["productChanged"]["cursor"]
        )
        with pytest.raises(EOFError):
            await parts.receive()
