"""GraphQL over Server-Sent Events, distinct connections mode, through a real server: events
with their cursors as SSE ids, errors before execution as a `next`, heartbeats, the bearer
token, and the same limits and typed errors as the WebSocket transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from engine.auth import mint
from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.streams import Served, sse
from tests.api.test_subscriptions import PRODUCTS, nothing_more, settled, settled_rows
from tests.api.ws import live_server
from tests.conftest import TEST_SECRET, token

ORDERS = "subscription { orderChanged { kind order { number } } }"


@pytest.fixture
async def served(database_url: str, db: Database) -> AsyncIterator[Served]:
    async with live_server(database_url, subscriber_queue_size=2) as (url, app):
        yield base_of(url), app


def base_of(ws_url: str) -> str:
    """The server's http://host:port of its WebSocket URL."""
    return ws_url.replace("ws://", "http://").removesuffix("/graphql")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def started(app: Starlette, count: int = 1) -> None:
    """Returns once `count` subscriptions are registered on the core."""
    async with asyncio.timeout(5):
        while len(app.state.subscriptions.streams) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("path", ["/graphql", "/graphql/stream"])
async def test_an_update_arrives_as_next_with_its_cursor_as_the_event_id(
    served: Served, db: Database, http: httpx.AsyncClient, path: str
) -> None:
    url, app = served
    _, [product] = await settled_rows(app, db, "Lamp")
    variables = {"id": to_global_id("Product", product)}
    async with sse(http, url + path, {"query": PRODUCTS, "variables": variables}) as stream:
        assert stream.response.status_code == 200
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        await started(app)
        await db.execute("UPDATE products SET price = 12.5, rev = rev + 1 WHERE id = $1", product)
        event = await stream.receive()
        assert event.event == "next"
        change = event.data["data"]["productChanged"]
        assert change["product"] == {"name": "Lamp", "price": "12.50"}
        assert event.id == change["cursor"]
    async with asyncio.timeout(5):  # the client closing the stream ends the subscription
        while app.state.subscriptions.streams:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_get_subscribes_too(served: Served, db: Database, http: httpx.AsyncClient) -> None:
    url, app = served
    category, _ = await settled_rows(app, db)
    async with sse(http, url + "/graphql/stream", {"query": PRODUCTS}, method="GET") as stream:
        await started(app)
        await factories.product(db, category, "Desk")
        event = await stream.receive()
        assert event.data["data"]["productChanged"]["product"]["name"] == "Desk"


async def test_validation_errors_arrive_as_a_next_then_complete(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    bad = {"query": "subscription { productChanged { nope } }"}
    async with sse(http, url + "/graphql/stream", bad) as stream:
        assert stream.response.status_code == 200
        event = await stream.receive()
        assert event.event == "next"
        [error] = event.data["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "nope" in error["message"]
        assert await stream.completes()


async def test_a_query_is_one_next_then_complete(served: Served, http: httpx.AsyncClient) -> None:
    url, _ = served
    async with sse(http, url + "/graphql", {"query": "{ __typename }"}) as stream:
        event = await stream.receive()
        assert event.data["data"] == {"__typename": "Query"}
        assert event.id is None
        assert await stream.completes()


async def test_a_mutation_over_get_is_refused_in_the_stream(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    mutation = {"query": 'mutation { createCategory(input: {name: "x"}) { __typename } }'}
    async with sse(http, url + "/graphql/stream", mutation, method="GET") as stream:
        event = await stream.receive()
        assert "mutations are sent with POST" in event.data["errors"][0]["message"]


async def test_the_bearer_token_decides_what_is_seen(
    served: Served, db: Database, http: httpx.AsyncClient
) -> None:
    url, app = served
    ada, bob = await factories.customer(db, "Ada"), await factories.customer(db, "Bob")
    await settled(app)
    async with sse(
        http, url + "/graphql/stream", {"query": ORDERS}, bearer=token("customer", ada)
    ) as own:
        await started(app)
        await factories.order(db, bob, [])  # not Ada's: she learns nothing of it
        await factories.order(db, ada, [])
        event = await own.receive()
        assert event.data["data"]["orderChanged"]["kind"] == "CREATED"
        await nothing_more(own, app)


async def test_a_bad_token_is_refused_before_the_stream(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    async with sse(http, url + "/graphql/stream", {"query": PRODUCTS}, bearer="nonsense") as stream:
        assert stream.response.status_code == 401
        assert stream.response.headers["www-authenticate"].startswith("Bearer")


async def test_an_expired_token_ends_the_stream_with_a_typed_error(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    # Accepted for its leeway of 30 s after `exp` (whole seconds, so up to one less): one that
    # expired 27 s ago ends within 3 s, time enough to be accepted on a busy machine.
    short = mint(secret=TEST_SECRET, role="staff", customer=None, ttl_seconds=-27, now=time.time())
    async with sse(http, url + "/graphql/stream", {"query": PRODUCTS}, bearer=short) as stream:
        event = await stream.receive()
        assert event.data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await stream.completes()


async def test_a_subscriber_that_falls_behind_is_told_with_its_cursor_and_completed(
    served: Served, db: Database, http: httpx.AsyncClient
) -> None:
    """Queue of two, five events of one transaction at once: two events, the typed error
    with the last cursor delivered, then complete."""
    url, app = served
    _, [product] = await settled_rows(app, db, "Vase")
    async with sse(http, url + "/graphql/stream", {"query": PRODUCTS}) as stream:
        await started(app)
        async with db.acquire() as conn, conn.transaction():
            for n in range(5):
                await conn.execute("UPDATE products SET name = $2 WHERE id = $1", product, f"n{n}")
        first, second, error = [await stream.receive() for _ in range(3)]
        assert first.id is not None
        assert second.id is not None
        [too_slow] = error.data["errors"]
        assert too_slow["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        assert too_slow["extensions"]["cursor"] == second.id
        assert await stream.completes()


async def test_an_idle_stream_gets_a_comment_line_every_heartbeat(
    database_url: str, db: Database, http: httpx.AsyncClient
) -> None:
    async with live_server(database_url, sse_heartbeat=0.2) as (ws_url, _app):
        url = base_of(ws_url)
        async with sse(http, url + "/graphql/stream", {"query": PRODUCTS}) as stream:
            opening = await stream.receive(comments=True)
            assert opening.event is None
            began = time.monotonic()
            for _ in range(3):
                assert (await stream.receive(timeout=2, comments=True)).event is None
            assert time.monotonic() - began >= 0.4  # three beats, 0.2 s apart, after the opening


async def test_streams_beyond_the_bound_are_refused_with_503(
    database_url: str, db: Database, http: httpx.AsyncClient
) -> None:
    async with live_server(database_url, stream_max_open=1) as (ws_url, app):
        url = base_of(ws_url) + "/graphql/stream"
        async with sse(http, url, {"query": PRODUCTS}):
            await started(app)
            async with sse(http, url, {"query": PRODUCTS}) as second:
                assert second.response.status_code == 503
                assert "retry-after" in second.response.headers


async def test_shutdown_completes_the_stream(served: Served, http: httpx.AsyncClient) -> None:
    url, app = served
    async with sse(http, url + "/graphql/stream", {"query": PRODUCTS}) as stream:
        await started(app)
        await app.state.streams.shutdown()
        assert await stream.completes()


async def test_plain_json_requests_to_graphql_are_untouched(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    response = await http.post(url + "/graphql", json={"query": PRODUCTS})
    assert response.status_code == 200
    assert "text/event-stream" in response.json()["errors"][0]["message"]


async def test_a_reconnect_with_last_event_id_resumes_without_a_gap_or_a_duplicate(
    served: Served, db: Database, http: httpx.AsyncClient
) -> None:
    url, app = served
    product = await factories.product(db, await factories.category(db), "a")
    await settled(app)
    stream_url = url + "/graphql/stream"
    async with sse(http, stream_url, {"query": PRODUCTS}) as first:
        await started(app)
        await db.execute("UPDATE products SET name = 'b' WHERE id = $1", product)
        held = await first.receive()
        assert held.data["data"]["productChanged"]["product"]["name"] == "b"
    for name in ("c", "d"):  # while the client is away
        await db.execute("UPDATE products SET name = $2 WHERE id = $1", product, name)
    await settled(app)
    assert held.id is not None
    async with sse(http, stream_url, {"query": PRODUCTS}, **{"Last-Event-ID": held.id}) as again:
        replayed = [await again.receive() for _ in range(2)]
        await db.execute("UPDATE products SET name = 'e' WHERE id = $1", product)
        live = await again.receive()
        # A replayed event shows its node as it is now (the node is read when it is sent).
        names = [e.data["data"]["productChanged"]["product"]["name"] for e in [*replayed, live]]
        assert names == ["d", "d", "e"]
        cursors = [e.data["data"]["productChanged"]["cursor"] for e in [*replayed, live]]
        assert [e.id for e in [*replayed, live]] == cursors
        assert len({held.id, *cursors}) == 4  # each event once
        await nothing_more(again, app)


async def test_a_malformed_last_event_id_ends_the_stream_with_bad_user_input(
    served: Served, http: httpx.AsyncClient
) -> None:
    url, _ = served
    headers = {"Last-Event-ID": "not a cursor"}
    async with sse(http, url + "/graphql/stream", {"query": PRODUCTS}, **headers) as stream:
        event = await stream.receive()
        assert event.data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert await stream.completes()
