"""GraphQL over SSE in single connection mode through real servers: reservations and
operations kept in PostgreSQL, so the stream and the requests driving it may reach
different processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from sql.pool import Database
from tests import factories
from tests.api.streams import Served, sse
from tests.api.test_sse import base_of, started
from tests.api.test_subscriptions import PRODUCTS, nothing_more, settled, settled_rows
from tests.api.ws import live_server
from tests.conftest import token

TOKEN = "X-GraphQL-Event-Stream-Token"


@pytest.fixture
async def two(database_url: str, db: Database) -> AsyncIterator[tuple[Served, Served]]:
    """Two servers on one database, as two processes would be."""
    async with live_server(database_url) as (a, app_a), live_server(database_url) as (b, app_b):
        yield (base_of(a) + "/graphql/stream", app_a), (base_of(b) + "/graphql/stream", app_b)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def reserve(http: httpx.AsyncClient, url: str, **headers: str) -> str:
    reserved = await http.put(url, headers=headers)
    assert reserved.status_code == 201, reserved.text
    assert reserved.headers["content-type"].startswith("text/plain")
    return reserved.text


async def post(
    http: httpx.AsyncClient, url: str, stream: str, operation: str, query: str, **headers: str
) -> httpx.Response:
    body = {"query": query, "extensions": {"operationId": operation}}
    return await http.post(url, json=body, headers={TOKEN: stream, **headers})


async def test_operations_posted_to_another_process_reach_the_stream_and_delete_stops_them(
    two: tuple[Served, Served], db: Database, http: httpx.AsyncClient
) -> None:
    (a, app_a), (b, app_b) = two
    category, _ = await settled_rows(app_a, db)
    stream_token = await reserve(http, b)  # reserved on one process ...
    async with sse(http, a, None, method="GET", **{TOKEN: stream_token}) as stream:  # held on A
        assert stream.response.status_code == 200
        assert (await post(http, b, stream_token, "op1", PRODUCTS)).status_code == 202  # via B
        await started(app_a)
        assert not app_b.state.subscriptions.streams  # the stream runs where it is held
        await factories.product(db, category, "Desk")
        event = await stream.receive()
        assert event.event == "next"
        assert event.data["id"] == "op1"
        change = event.data["payload"]["data"]["productChanged"]
        assert change["product"]["name"] == "Desk"
        assert event.id == change["cursor"]
        stopped = await http.delete(b, params={"operationId": "op1"}, headers={TOKEN: stream_token})
        assert stopped.status_code == 200
        async with asyncio.timeout(5):
            while app_a.state.subscriptions.streams:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await factories.product(db, category, "Chair")
        await nothing_more(stream, app_a)
    async with asyncio.timeout(5):  # the stream closed: its reservation is gone
        while await db.fetchval("SELECT count(*) FROM event_streams"):  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_a_query_answers_once_on_the_stream_with_its_operation_id(
    two: tuple[Served, Served], db: Database, http: httpx.AsyncClient
) -> None:
    (a, _), _ = two
    stream_token = await reserve(http, a)
    async with sse(http, a, None, method="GET", **{TOKEN: stream_token}) as stream:
        assert (await post(http, a, stream_token, "q", "{ __typename }")).status_code == 202
        event = await stream.receive()
        assert event.data["id"] == "q"
        assert event.data["payload"]["data"] == {"__typename": "Query"}
        assert (await stream.receive()).data == {"id": "q"}
        async with asyncio.timeout(5):  # done of its own accord: its row goes too
            while await db.fetchval("SELECT count(*) FROM event_stream_operations"):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert await db.fetchval("SELECT count(*) FROM event_streams") == 1  # the stream lives on


async def test_operations_sent_before_the_stream_opens_run_once_it_does(
    two: tuple[Served, Served], http: httpx.AsyncClient
) -> None:
    (a, _), (b, _) = two
    stream_token = await reserve(http, a)
    assert (await post(http, b, stream_token, "early", "{ __typename }")).status_code == 202
    async with sse(http, a, None, method="GET", **{TOKEN: stream_token}) as stream:
        event = await stream.receive()
        assert event.data["id"] == "early"
        assert event.data["payload"]["data"] == {"__typename": "Query"}


async def test_a_subscription_started_later_misses_nothing_committed_after_its_202(
    two: tuple[Served, Served], db: Database, http: httpx.AsyncClient
) -> None:
    """Accepted through one process, started by another once the stream opens: a write
    committed in between still arrives, from the position recorded with the 202."""
    (a, app_a), (b, _) = two
    category, _ = await settled_rows(app_a, db)
    stream_token = await reserve(http, a)
    assert (await post(http, b, stream_token, "s", PRODUCTS)).status_code == 202
    await factories.product(db, category, "Lamp")  # before any process runs the operation
    async with sse(http, a, None, method="GET", **{TOKEN: stream_token}) as stream:
        event = await stream.receive()
        assert event.data["id"] == "s"
        assert event.data["payload"]["data"]["productChanged"]["product"]["name"] == "Lamp"
        await factories.product(db, category, "Desk")  # and live after it, once
        event = await stream.receive()
        assert event.data["payload"]["data"]["productChanged"]["product"]["name"] == "Desk"
        await nothing_more(stream, app_a)


async def test_requests_are_checked_before_the_202(
    two: tuple[Served, Served], http: httpx.AsyncClient
) -> None:
    (a, _), (b, _) = two
    stream_token = await reserve(http, a)
    invalid = await post(http, b, stream_token, "bad", "subscription { nope }")
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    nameless = await http.post(b, json={"query": PRODUCTS}, headers={TOKEN: stream_token})
    assert nameless.status_code == 400
    assert "operationId" in nameless.json()["errors"][0]["message"]
    assert (await post(http, b, stream_token, "one", PRODUCTS)).status_code == 202
    assert (await post(http, a, stream_token, "one", PRODUCTS)).status_code == 409
    assert (await post(http, a, "no such token", "x", PRODUCTS)).status_code == 404
    # The token is not enough: operations come from the viewer who reserved the stream.
    staff = {"Authorization": f"Bearer {token('staff')}"}
    assert (await post(http, a, stream_token, "two", PRODUCTS, **staff)).status_code == 404
    gone = await http.delete(a, params={"operationId": "one"}, headers={TOKEN: "nope"})
    assert gone.status_code == 404


async def test_one_stream_per_reservation(
    two: tuple[Served, Served], http: httpx.AsyncClient
) -> None:
    (a, _), (b, _) = two
    stream_token = await reserve(http, a)
    async with sse(http, a, None, method="GET", **{TOKEN: stream_token}) as first:
        assert first.response.status_code == 200
        async with sse(http, b, None, method="GET", **{TOKEN: stream_token}) as second:
            assert second.response.status_code == 409
    async with sse(http, a, None, method="GET", **{TOKEN: "unknown"}) as unknown:
        assert unknown.response.status_code == 404


async def test_a_reservation_keeps_the_bearer_tokens_viewer(
    two: tuple[Served, Served], db: Database, http: httpx.AsyncClient
) -> None:
    (a, app_a), (b, _) = two
    ada = await factories.customer(db, "Ada")
    bob = await factories.customer(db, "Bob")
    as_ada = {"Authorization": f"Bearer {token('customer', ada)}"}
    await settled(app_a)
    stream_token = await reserve(http, a, **as_ada)
    orders = "subscription { orderChanged { kind order { number } } }"
    async with sse(http, a, None, method="GET", **{TOKEN: stream_token}) as stream:
        assert (await post(http, b, stream_token, "o", orders, **as_ada)).status_code == 202
        await started(app_a)
        await factories.order(db, bob, [])
        await factories.order(db, ada, [])
        event = await stream.receive()
        assert event.data["payload"]["data"]["orderChanged"]["kind"] == "CREATED"
        await nothing_more(stream, app_a)


async def test_operations_on_one_stream_are_bounded_as_on_a_websocket(
    database_url: str, db: Database, http: httpx.AsyncClient
) -> None:
    async with live_server(database_url, ws_max_subscriptions=1) as (ws_url, _app):
        url = base_of(ws_url) + "/graphql/stream"
        stream_token = await reserve(http, url)
        assert (await post(http, url, stream_token, "one", PRODUCTS)).status_code == 202
        over = await post(http, url, stream_token, "two", PRODUCTS)
        assert over.status_code == 429
        assert over.json()["errors"][0]["extensions"]["code"] == "LIMIT"
