"""The graphql-sse npm client (both modes) and Apollo Client's HttpLink (multipart) against
`storefront serve`: each receives the change a mutation makes, then stops cleanly."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.e2e.conftest import (
    RunningServer,
    client_process,
    create_a_lamp,
    node_with,
    storefront_serve,
)

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent


@pytest.mark.parametrize(
    ("script", "package", "path", "arguments"),
    [
        ("sse_client.mjs", "graphql-sse", "/graphql/stream", ["distinct"]),
        ("sse_client.mjs", "graphql-sse", "/graphql/stream", ["single"]),
        ("sse_client.mjs", "graphql-sse", "/graphql", ["distinct"]),
        ("apollo_client.mjs", "@apollo/client", "/graphql", []),
    ],
)
def test_an_npm_client_receives_a_change_after_a_mutation(
    tmp_path: Path,
    database_url: str,
    db: object,
    script: str,
    package: str,
    path: str,
    arguments: list[str],
) -> None:
    node = node_with(package, needed_by=script)
    env = {
        "STOREFRONT_SEED_DEMO": "false",
        "STOREFRONT_JWT_SECRET": TEST_SECRET,
        "STOREFRONT_METRICS": "open",
    }
    with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as server:
        args = [node, str(HERE / script), server.base_url + path, *arguments, "1"]
        with client_process(args) as client:
            assert client.stdout is not None
            assert "subscribing" in json.loads(client.stdout.readline())
            _wait_for_subscribers(server, 1)
            create_a_lamp(server.graphql_url)
            event = json.loads(client.stdout.readline())
            product = {"__typename": "Product", "name": "Desk lamp"}
            change = {"__typename": "ProductChange", "kind": "CREATED", "product": product}
            assert event["data"] == {"productChanged": change}
            assert client.wait(timeout=30) == 0, client.stderr.read() if client.stderr else ""
            _wait_for_subscribers(server, 0)  # the client's stop reached the server
        if arguments == ["single"]:
            assert _reservations(database_url) == 0  # the stream closed and let go of it


def _wait_for_subscribers(server: RunningServer, count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        metrics = httpx.get(server.base_url + "/metrics").text
        rows = (row.split() for row in metrics.splitlines())
        if ["storefront_feed_subscribers", f"{count}.0"] in rows:
            return
        time.sleep(0.05)
    pytest.fail(f"the server never had {count} subscribers:\n{server.log()[-3000:]}")


def _reservations(database_url: str) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            deadline = time.monotonic() + 10
            while True:
                left = int(await conn.fetchval("SELECT count(*) FROM event_streams"))
                if not left or time.monotonic() > deadline:
                    return left
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    return asyncio.run(count())
