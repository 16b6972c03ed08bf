"""Resuming subscriptions from a cursor, through a real server and WebSocket client: the
events after the cursor from the outbox, then live ones, each once; expired, malformed and
foreign cursors; what a viewer may see holds for replayed events too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import orjson
import pytest
from starlette.applications import Starlette

from engine.http_params import GraphQLParams
from engine.streams import Subscriber
from gql.subscription_stream import Stream
from gql.subscriptions import Hub
from resolvers.changes import cursor_of
from resolvers.viewer import ANONYMOUS
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


@pytest.mark.parametrize("source", ["window", "outbox"])
async def test_live_events_that_the_replay_also_reads_are_sent_once(
    server: tuple[str, Starlette], db: Database, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The switch-over, made certain: the hub is handed the very events the replay is about
    to read, before the replay reads (from the hub's window of recent events, or from the
    outbox when the window cannot tell). Each must reach the client once."""
    _, app = server
    hub: Hub = app.state.subscriptions
    if source == "outbox":
        monkeypatch.setattr(hub.window, "floor", None)  # as before the follower started
    product = await factories.product(db, await factories.category(db), "a")
    await settled(app)
    start = await newest(db)
    await rename(db, product, "b", "c", "d")
    await settled(app)
    batch = await feed.read_after(db, start)
    assert len(batch.events) == 3
    sent: list[tuple[bytes, bool]] = []
    params = GraphQLParams(CHANGES, None, None, None)
    runnable = hub.operations._prepare("POST", params, viewer=ANONYMOUS, streams=True)
    subscriber = Subscriber(ANONYMOUS, "t", 100, lambda s, body, last: sent.append((body, last)))
    stream = Stream(*hub.root_of(runnable), runnable, params, subscriber)
    hub.add(stream, after=cursor_of(start))
    await hub.publish(batch.events)  # live, while the replay has not read yet
    assert stream.replay is not None
    await stream.replay
    try:
        got = [orjson.loads(body)["data"]["changes"]["rev"] for body, _ in sent]
        assert got == [2, 3, 4]
        await rename(db, product, "e")
        await settled(app)
        got = [orjson.loads(body)["data"]["changes"]["rev"] for body, _ in sent]
        assert got == [2, 3, 4, 5]
    finally:
        hub.remove(stream)


async def newest(db: Database) -> Position:
    row = await db.fetchrow(
        "SELECT xid::text::bigint, seq FROM change_events ORDER BY xid DESC, seq DESC LIMIT 1"
    )
    assert row is not None
    return Position(row[0], row[1])


async def test_a_subscriber_stopped_as_too_slow_resumes_from_the_cursor_of_its_error(
    database_url: str, db: Database
) -> None:
    """A client that stops reading while a hundred events of 300 KB each come: its socket's
    buffers fill, then its queue of two, and it is stopped; resumed from the error's cursor
    (selecting less), it gets every event after the last one it was sent."""
    product = await factories.product(db, await factories.category(db), "a")
    descriptions = " ".join(f"d{n}: description" for n in range(30))
    large = (
        "subscription { changes { cursor kind nodeId rev node { ... on Product { "
        + descriptions
        + " } } } }"
    )
    async with live_server(database_url, subscriber_queue_size=2) as (url, app):
        await settled(app)
        async with client(url, max_queue=1) as anonymous:
            await anonymous.subscribe("slow", large)
            await settled(app)
            for n in range(100):
                await db.execute(
                    "UPDATE products SET description = $2, rev = rev + 1 WHERE id = $1",
                    product,
                    f"{n:02}" * 5000,
                )
            await settled(app)
            delivered = []
            while "errors" not in (message := (await nexts(anonymous, 1))[0])["payload"]:
                delivered.append(message)
            assert 2 <= len(delivered) < 100
            assert revs(delivered) == list(range(2, 2 + len(delivered)))
            error = message["payload"]["errors"][0]
            assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
            assert (
                error["extensions"]["cursor"]
                == delivered[-1]["payload"]["data"]["changes"]["cursor"]
            )
            assert await anonymous.receive() == {"id": "slow", "type": "complete"}
            await anonymous.subscribe("again", CHANGES, {"after": error["extensions"]["cursor"]})
            rest = list(range(2 + len(delivered), 102))
            assert revs(await nexts(anonymous, len(rest))) == rest
            await nothing_more(anonymous, app)


async def test_resumed_subscribers_share_one_execution_with_live_ones(
    server: tuple[str, Starlette], db: Database
) -> None:
    """`after` only says where a stream starts: subscribers that differ in it alone (as a
    variable) are one group."""
    url, app = server
    hub: Hub = app.state.subscriptions
    product = await factories.product(db, await factories.category(db), "a")
    await rename(db, product, "b")
    await settled(app)
    start = cursor_of(await newest(db))
    async with client(url) as live, client(url) as resumed:
        await live.subscribe("1", CHANGES)
        await resumed.subscribe("1", CHANGES, {"after": start})
        await settled(app)
        before = hub.executions
        await rename(db, product, "c")
        for connection in (live, resumed):
            assert revs(await nexts(connection, 1)) == [3]
        assert hub.executions - before == 1


def test_a_variable_that_feeds_more_than_after_keeps_subscribers_apart(
    server: tuple[str, Starlette],
) -> None:
    """Left out of the grouping key only when `after` is all it feeds: here it also pages a
    category's products, so it changes the results, and the keys must differ."""
    hub: Hub = server[1].state.subscriptions

    def key(query: str, after: str) -> tuple[object, ...]:
        params = GraphQLParams(query, None, {"after": after}, None)
        runnable = hub.operations._prepare("POST", params, viewer=ANONYMOUS, streams=True)
        subscriber = Subscriber(ANONYMOUS, "t", 1, lambda *_: None)
        return Stream(*hub.root_of(runnable), runnable, params, subscriber).key

    alone = CHANGES
    shared = (
        "subscription($after: String) { changes(after: $after) { cursor "
        "node { ... on Category { products(first: 2, after: $after) { totalCount } } } } }"
    )
    first, second = cursor_of(Position(5, 1)), cursor_of(Position(6, 1))
    assert key(alone, first) == key(alone, second)
    assert key(shared, first) != key(shared, second)
