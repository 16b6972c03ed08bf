"""PostgreSQL restarts under open subscriptions of a real server process.

The subscriptions stay open through the outage (the socket answers pings), and once the
database is back every event committed before it that had not arrived yet, and every event
committed after it, arrives, in order, each once. A subscription that resumes from a cursor
during the outage gets its replay once the database is back.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from websockets.exceptions import ConnectionClosed

from server.embedded import EmbeddedPostgres
from tests.api.ws import Client, client
from tests.conftest import TEST_SECRET
from tests.e2e.conftest import storefront_serve

pytestmark = pytest.mark.e2e

CHANGES = "subscription($after: String) { changes(after: $after) { cursor nodeId rev } }"
RECOVER_WITHIN = 30.0


async def rename(url: str, category: Any, *names: str) -> None:
    """Each name in a transaction of its own, on a connection of its own."""
    conn = await asyncpg.connect(url)
    try:
        for name in names:
            await conn.execute(
                "UPDATE categories SET name = $2, rev = rev + 1 WHERE id = $1", category, name
            )
    finally:
        await conn.close()


class Collector:
    """Reads one connection in the background: its events (rev and cursor) and its pongs."""

    def __init__(self, connection: Client) -> None:
        self.connection = connection
        self.changes: list[dict[str, Any]] = []
        self.pongs = 0
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                message = await self.connection.receive(timeout=3600)
            except ConnectionClosed:
                return
            if message["type"] == "pong":
                self.pongs += 1
                continue
            assert message["type"] == "next", message
            self.changes.append(message["payload"]["data"]["changes"])

    @property
    def revs(self) -> list[int]:
        return [change["rev"] for change in self.changes]

    async def holding(self, count: int, timeout: float) -> list[int]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.changes) < count and not self.task.done():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # and nothing more
        if self.task.done():
            self.task.result()  # raises what the reader met
        return self.revs


async def test_subscriptions_live_through_a_database_restart_and_lose_nothing(
    tmp_path: Path,
) -> None:
    embedded = EmbeddedPostgres(tmp_path / "pg", durable=False)
    url = embedded.start()
    try:
        env = {"STOREFRONT_SEED_DEMO": "false", "STOREFRONT_JWT_SECRET": TEST_SECRET}
        with storefront_serve(tmp_path, database_url=url, extra_env=env) as server:
            ws = server.graphql_url.replace("http://", "ws://")
            conn = await asyncpg.connect(url)
            category = await conn.fetchval(
                "INSERT INTO categories (name) VALUES ('Lamps') RETURNING id"
            )
            await conn.close()
            async with client(ws) as first, client(ws) as second:
                for connection in (first, second):
                    await connection.subscribe("s", CHANGES)
                readers = [Collector(first), Collector(second)]
                await asyncio.sleep(0.5)
                await rename(url, category, "a", "b")
                for reader in readers:
                    assert await reader.holding(2, timeout=10) == [2, 3]
                held = readers[0].changes[-1]["cursor"]
                # Committed just before the stop: read or not, mid fan-out or not.
                await rename(url, category, "c", "d")
                await asyncio.to_thread(embedded.stop)
                await asyncio.sleep(1)
                for connection in (first, second):  # still open, still answering
                    await connection.send({"type": "ping"})
                async with client(ws) as late:  # resumes while the database is away
                    await late.subscribe("r", CHANGES, {"after": held})
                    resumed = Collector(late)
                    await asyncio.sleep(0.5)
                    assert [reader.pongs for reader in readers] == [1, 1]
                    await asyncio.to_thread(embedded.start)
                    back = time.monotonic()
                    await _write_when_back(url, category, "e", "f")
                    for reader, total in ((readers[0], 6), (readers[1], 6), (resumed, 4)):
                        await reader.holding(total, timeout=RECOVER_WITHIN)
                    took = time.monotonic() - back
                assert readers[0].revs == readers[1].revs == [2, 3, 4, 5, 6, 7]
                assert resumed.revs == [4, 5, 6, 7]
                print(f"every event arrived within {took:.1f}s of PostgreSQL's start")
    finally:
        embedded.stop()


async def _write_when_back(url: str, category: Any, *names: str) -> None:
    deadline = time.monotonic() + RECOVER_WITHIN
    for name in names:
        while True:
            try:
                await rename(url, category, name)
                break
            except (OSError, asyncpg.PostgresError):
                assert time.monotonic() < deadline, "PostgreSQL did not come back"
                await asyncio.sleep(0.2)
