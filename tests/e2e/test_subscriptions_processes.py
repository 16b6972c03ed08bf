"""Subscriptions across processes: with two workers, and with two `storefront serve`
instances on one database, a write through any process reaches the subscribers of every
process (the feed is the database's; nothing is shared in memory), and a cursor from one
process resumes on another."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.ws import Client, client
from tests.conftest import TEST_SECRET, token
from tests.e2e.conftest import RunningServer, storefront_serve
from tests.e2e.test_serve import ESTABLISHED, LISTENING, owners_of, sockets_on, wait_for

pytestmark = pytest.mark.e2e

CHANGES = "subscription($after: String) { changes(after: $after) { cursor kind nodeId } }"
CREATE = """mutation($name: String!) { createCategory(input: {name: $name}) {
  ... on CreateCategorySuccess { category { id } } } }"""
ENV = {"STOREFRONT_SEED_DEMO": "false", "STOREFRONT_JWT_SECRET": TEST_SECRET}
WRITES = 6


def ws_url(server: RunningServer) -> str:
    return server.graphql_url.replace("http://", "ws://")


async def create(server: RunningServer, name: str) -> str:
    """Creates a category through `server` on a connection of its own; its global id."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            server.graphql_url,
            json={"query": CREATE, "variables": {"name": name}},
            headers={"Authorization": f"Bearer {token('staff')}"},
        )
    category: str = response.json()["data"]["createCategory"]["category"]["id"]
    return category


async def changes(connection: Client, id: str, count: int) -> list[dict[str, Any]]:
    found = []
    for _ in range(count):
        message = await connection.receive(timeout=15)
        assert (message["type"], message["id"]) == ("next", id), message
        found.append(message["payload"]["data"]["changes"])
    return found


@contextlib.asynccontextmanager
async def subscribed(urls: list[str]) -> AsyncIterator[list[Client]]:
    """One connection per url, each subscribed to every change (as "s")."""
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(client(url)) for url in urls]
        for connection in connections:
            await connection.subscribe("s", CHANGES)
        await asyncio.sleep(0.5)  # every process has the subscriptions before the writes
        yield connections


async def test_two_workers_deliver_every_write_to_subscribers_of_both(
    tmp_path: Path, database_url: str, db: object
) -> None:
    env = {**ENV, "STOREFRONT_WORKERS": "2"}
    with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        wait_for(lambda: len(sockets_on(port, LISTENING)) == 2, what="two listening workers")
        async with subscribed([ws_url(server)] * 16) as connections:
            owners = owners_of(sockets_on(port, ESTABLISHED), server.process.pid)
            assert len(owners) == 2, f"subscribers per worker: {owners}"
            made = [await create(server, f"Lamps {n}") for n in range(WRITES)]
            received = [await changes(c, "s", WRITES) for c in connections]
        for events in received:
            assert [e["nodeId"] for e in events] == made
            assert events == received[0]  # the same cursors on both workers
        # A cursor of one worker resumes on whichever worker the new connection lands on.
        middle = received[0][1]["cursor"]
        for _ in range(4):
            async with client(ws_url(server)) as again:
                await again.subscribe("r", CHANGES, {"after": middle})
                assert await changes(again, "r", WRITES - 2) == received[0][2:]


async def test_two_instances_on_one_database_share_every_write(
    tmp_path: Path, database_url: str, db: object
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        storefront_serve(tmp_path / "a", database_url=database_url, extra_env=ENV) as a,
        storefront_serve(tmp_path / "b", database_url=database_url, extra_env=ENV) as b,
    ):
        async with subscribed([ws_url(a), ws_url(b), ws_url(a), ws_url(b)]) as connections:
            made = [await create((a, b)[n % 2], f"Lamps {n}") for n in range(WRITES)]
            received = [await changes(c, "s", WRITES) for c in connections]
        for events in received:
            assert [e["nodeId"] for e in events] == made
            assert events == received[0]
        # Held on a, resumed on b (and the other way round).
        for server, cursor in ((b, received[0][2]["cursor"]), (a, received[1][3]["cursor"])):
            async with client(ws_url(server)) as again:
                await again.subscribe("r", CHANGES, {"after": cursor})
                start = next(i for i, e in enumerate(received[0]) if e["cursor"] == cursor)
                assert await changes(again, "r", WRITES - start - 1) == received[0][start + 1 :]
