"""graphql-transport-ws as graphql-ws's PROTOCOL.md has it: the handshake, the close codes,
queries and mutations over the socket, the same limits as HTTP, and the bounds."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from engine.auth import mint
from engine.node_ids import to_global_id
from resolvers.changes import position_of
from sql.pool import Database
from tests import factories
from tests.api.test_subscriptions import nexts, settled, settled_rows
from tests.api.ws import client, live_server
from tests.conftest import TEST_SECRET, token

PRODUCTS = "subscription { productChanged { kind product { name } } }"


@pytest.fixture
async def server(database_url: str, db: Database) -> AsyncIterator[tuple[str, Starlette]]:
    async with live_server(
        database_url,
        ws_init_timeout=0.5,
        subscriber_queue_size=2,
        max_depth=4,
        ws_max_subscriptions=3,
    ) as served:
        yield served


async def test_ping_is_answered_with_pong_even_before_init(server: tuple[str, Starlette]) -> None:
    async with client(server[0], init=False) as connection:
        await connection.send({"type": "ping"})
        assert await connection.receive() == {"type": "pong"}


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        (["not json"], 4400),
        ([{"type": "connection_init"}, {"type": "subscribe", "id": 1, "payload": {}}], 4400),
        ([{"type": "what"}], 4400),
        ([{"type": "subscribe", "id": "1", "payload": {"query": PRODUCTS}}], 4401),
        ([{"type": "connection_init", "payload": {"authorization": "Bearer nope"}}], 4403),
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
        (
            [
                {"type": "connection_init"},
                {"type": "subscribe", "id": "1", "payload": {"query": PRODUCTS}},
                {"type": "subscribe", "id": "1", "payload": {"query": PRODUCTS}},
            ],
            4409,
        ),
        ([], 4408),  # no init within the (half a second) timeout
    ],
    ids=[
        "malformed",
        "bad-id",
        "unknown-type",
        "before-ack",
        "bad-token",
        "second-init",
        "duplicate-id",
        "init-timeout",
    ],
)
async def test_protocol_violations_close_with_their_codes(
    server: tuple[str, Starlette], messages: list[object], code: int
) -> None:
    async with client(server[0], init=False) as connection:
        for message in messages:
            if isinstance(message, str):
                await connection.socket.send(message)
            else:
                await connection.send(message)  # type: ignore[arg-type]
        closed, _reason = await connection.closed()
    assert closed == code


async def test_a_socket_without_the_subprotocol_is_refused(server: tuple[str, Starlette]) -> None:
    async with connect(server[0]) as socket:
        await socket.wait_closed()
        assert socket.close_code == 4406


async def test_queries_and_mutations_run_over_the_socket_as_over_http(
    server: tuple[str, Starlette], db: Database
) -> None:
    category = await factories.category(db, "Books")
    async with client(server[0], bearer=token("staff")) as staff, client(server[0]) as anonymous:
        await staff.subscribe("q", "{ categories(first: 5) { nodes { name } } }")
        [answer] = await nexts(staff, 1)
        assert answer["payload"]["data"] == {"categories": {"nodes": [{"name": "Books"}]}}
        assert answer["payload"]["extensions"]["cost"]["estimated"] > 0
        assert await staff.receive() == {"id": "q", "type": "complete"}
        rename = (
            'mutation($id: ID!) { updateCategory(id: $id, rev: 1, patch: {name: "Films"}) '
            "{ __typename } }"
        )
        variables = {"id": to_global_id("Category", category)}
        await anonymous.subscribe("m", rename, variables)
        [refused] = await nexts(anonymous, 1)
        assert refused["payload"]["data"]["updateCategory"]["__typename"] == "ForbiddenError"
        await staff.subscribe("m", rename, variables)
        [done] = await nexts(staff, 1)
        assert done["payload"]["data"]["updateCategory"]["__typename"] == "UpdateCategorySuccess"


async def test_subscription_documents_are_held_to_the_same_limits(
    server: tuple[str, Starlette],
) -> None:
    deep = (
        "subscription { productChanged { product { category { products { nodes { name } } } } } }"
    )
    async with client(server[0]) as anonymous:
        await anonymous.subscribe("deep", deep)
        error = await anonymous.receive()
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        await anonymous.subscribe("bad", "subscription { productChanged { nope } }")
        invalid = await anonymous.receive()
        assert invalid["type"] == "error"
        assert invalid["id"] == "bad"
        # Introspection stays open in development; the subscription still runs the rules.
        for n in range(3):
            await anonymous.subscribe(str(n), PRODUCTS)
        await anonymous.subscribe("fourth", PRODUCTS)
        over = await anonymous.receive()
        assert over["type"] == "error"
        assert over["payload"][0]["extensions"]["code"] == "LIMIT"


async def test_a_subscriber_that_falls_behind_is_told_and_completed(
    server: tuple[str, Starlette], db: Database
) -> None:
    """Queue of two, and a client that stops reading: a hundred events of 300 KB each
    (30 MB) fill the socket's buffers, then the queue, and the next one finds it full. The
    subscriber gets its events up to there, in order, the typed error with the last cursor
    it was given, then complete."""
    url, app = server
    _, [product] = await settled_rows(app, db, "Vase")
    fields = " ".join(f"d{n}: description" for n in range(30))
    large = "subscription { productChanged { cursor product { " + fields + " } } }"
    async with client(url, max_queue=1) as anonymous:
        await anonymous.subscribe("slow", large)
        await settled(app)
        for n in range(100):
            await db.execute(
                "UPDATE products SET description = $2 WHERE id = $1", product, f"{n:02}" * 5000
            )
        await settled(app)
        cursors = []
        while "errors" not in (message := (await nexts(anonymous, 1))[0])["payload"]:
            cursors.append(message["payload"]["data"]["productChanged"]["cursor"])
        assert 2 <= len(cursors) < 100
        positions = [p for c in cursors if (p := position_of(c)) is not None]
        assert len(positions) == len(cursors)
        assert positions == sorted(positions)
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        assert error["extensions"]["cursor"] == cursors[-1]
        assert await anonymous.receive() == {"id": "slow", "type": "complete"}


async def test_an_expired_token_closes_the_socket(server: tuple[str, Starlette]) -> None:
    # Accepted for its leeway of 30 s after `exp`: one that expired 29 s ago ends in a second.
    short = mint(secret=TEST_SECRET, role="staff", customer=None, ttl_seconds=-29, now=time.time())
    async with client(server[0], bearer=short) as staff:
        closed, _ = await staff.closed(timeout=5)
    assert closed == 4403


async def test_shutdown_completes_subscriptions_and_closes_with_1001(
    server: tuple[str, Starlette],
) -> None:
    url, app = server
    async with client(url) as anonymous:
        await anonymous.subscribe("live", PRODUCTS)
        await settled(app)
        await app.state.sockets.shutdown()
        assert await anonymous.receive() == {"id": "live", "type": "complete"}
        closed, _ = await anonymous.closed()
    assert closed == 1001


async def test_a_silent_client_is_pinged_then_closed(database_url: str, db: Database) -> None:
    async with (
        live_server(database_url, ws_keepalive=0.3) as (url, _app),
        client(url) as silent,
    ):
        # The client library answers pings of WebSocket itself, not the protocol's.
        assert await silent.receive(timeout=2) == {"type": "ping"}
        closed, _ = await silent.closed(timeout=3)
    assert closed == 4408


async def test_connections_and_message_sizes_are_bounded(database_url: str, db: Database) -> None:
    async with (
        live_server(database_url, ws_max_connections=1, ws_max_message_bytes=1024) as (
            url,
            _app,
        ),
        client(url) as first,
    ):
        async with client(url, init=False) as second:
            closed, _ = await second.closed()
            assert closed == 1013
        padding = "x" * 2000
        await first.subscribe("big", f"{{ __typename }} # {padding}")
        closed, _ = await first.closed()
        assert closed == 1009


async def test_production_rules_close_introspection_over_the_socket(
    database_url: str, db: Database
) -> None:
    async with live_server(database_url, env="production") as (url, _app):
        async with client(url) as anonymous:
            await anonymous.subscribe("i", "{ __schema { types { name } } }")
            refused = await anonymous.receive()
            assert refused["type"] == "error"
            assert refused["id"] == "i"
        async with client(url, bearer=token("staff")) as staff:
            await staff.subscribe("i", "{ __schema { queryType { name } } }")
            [answer] = await nexts(staff, 1)
            assert answer["payload"]["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize("compression", [False, True])
async def test_compression_is_only_used_when_configured(
    database_url: str, db: Database, compression: bool
) -> None:
    """The client offers permessage-deflate (websockets does by default); the server takes
    it only with STOREFRONT_WS_COMPRESSION, and answers either way."""
    async with (
        live_server(database_url, ws_compression=compression) as (url, _app),
        client(url) as anonymous,
    ):
        response = anonymous.socket.response
        assert response is not None
        extensions = response.headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in extensions) is compression
        await anonymous.subscribe("q", "{ __typename }")
        [answer] = await nexts(anonymous, 1)
        assert answer["payload"]["data"] == {"__typename": "Query"}
