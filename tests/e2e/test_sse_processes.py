"""Single connection mode of GraphQL over SSE across two `storefront serve` processes on
one database: the stream is held by one, reserved, driven and stopped through the other."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from sql.pool import Database
from tests import factories
from tests.api.streams import sse
from tests.conftest import TEST_SECRET
from tests.e2e.conftest import RunningServer, storefront_serve

pytestmark = pytest.mark.e2e

TOKEN = "X-GraphQL-Event-Stream-Token"
PRODUCTS = "subscription { productChanged { cursor kind product { name } } }"


@pytest.fixture
def two(tmp_path: Path, database_url: str, db: Database) -> Iterator[list[RunningServer]]:
    env = {
        "STOREFRONT_SEED_DEMO": "false",
        "STOREFRONT_JWT_SECRET": TEST_SECRET,
        "STOREFRONT_METRICS": "open",
    }
    with contextlib.ExitStack() as stack:
        servers = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            served = storefront_serve(tmp_path / name, database_url=database_url, extra_env=env)
            servers.append(stack.enter_context(served))
        yield servers


async def test_a_stream_held_by_one_process_is_driven_through_the_other(
    two: list[RunningServer], db: Database
) -> None:
    a, b = (server.base_url + "/graphql/stream" for server in two)
    category = await factories.category(db)
    async with httpx.AsyncClient(timeout=10) as http:
        stream_token = (await http.put(b)).text
        async with sse(http, a, None, method="GET", **{TOKEN: stream_token}) as stream:
            assert stream.response.status_code == 200
            body = {"query": PRODUCTS, "extensions": {"operationId": "p"}}
            posted = await http.post(b, json=body, headers={TOKEN: stream_token})
            assert posted.status_code == 202
            await _subscribers(http, two[0], 1)  # A heard of B's POST
            assert not [row async for row in _gauge(http, two[1]) if row != "0.0"]
            await factories.product(db, category, "Lamp")
            event = await stream.receive()
            assert event.data["id"] == "p"
            assert event.data["payload"]["data"]["productChanged"]["kind"] == "CREATED"
            assert event.id == event.data["payload"]["data"]["productChanged"]["cursor"]
            stopped = await http.delete(
                b, params={"operationId": "p"}, headers={TOKEN: stream_token}
            )
            assert stopped.status_code == 200
            await _subscribers(http, two[0], 0)  # A heard of the DELETE and stopped it
            while True:  # what was already on its way may still arrive ...
                try:
                    await stream.receive(timeout=0.3)
                except TimeoutError:
                    break
            await factories.product(db, category, "After")
            with pytest.raises(TimeoutError):  # ... but nothing written after the stop
                await stream.receive(timeout=1)
    assert await db.fetchval("SELECT count(*) FROM event_stream_operations") == 0


async def _gauge(http: httpx.AsyncClient, server: RunningServer) -> AsyncIterator[str]:
    """The subscriber gauge's value(s) in the server's metrics."""
    metrics = (await http.get(server.base_url + "/metrics")).text
    for row in metrics.splitlines():
        name, _, value = row.partition(" ")
        if name == "storefront_feed_subscribers":
            yield value


async def _subscribers(http: httpx.AsyncClient, server: RunningServer, count: int) -> None:
    async with asyncio.timeout(20):
        while [value async for value in _gauge(http, server)] != [f"{count}.0"]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
