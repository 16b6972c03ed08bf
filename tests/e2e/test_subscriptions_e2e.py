"""The graphql-ws npm client against `storefront serve`: a subscription sees a mutation."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.api.ws import client
from tests.conftest import TEST_SECRET
from tests.e2e.conftest import client_process, create_a_lamp, storefront_serve
from tests.e2e.test_http_audit import _node

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("subscription_client.mjs")


def test_graphql_ws_client_receives_a_change_after_a_mutation(
    tmp_path: Path, database_url: str, db: object
) -> None:
    node = _node()
    env = {"STOREFRONT_SEED_DEMO": "false", "STOREFRONT_JWT_SECRET": TEST_SECRET}
    with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as live_server:
        _subscribe_then_write(node, live_server.graphql_url)


def _subscribe_then_write(node: str, graphql_url: str) -> None:
    ws_url = graphql_url.replace("http://", "ws://")
    args = [node, *_websocket_flag(node), str(SCRIPT), ws_url, "1"]
    with client_process(args) as client:
        assert client.stdout is not None
        assert json.loads(client.stdout.readline()) == {"connected": True}
        create_a_lamp(graphql_url)
        event = json.loads(client.stdout.readline())
        assert event == {
            "data": {"productChanged": {"kind": "CREATED", "product": {"name": "Desk lamp"}}}
        }
        assert client.wait(timeout=30) == 0, client.stderr.read() if client.stderr else ""


def _websocket_flag(node: str) -> list[str]:
    """Node 20 has its WebSocket (which graphql-ws uses) behind a flag; 22 on, by default."""
    probe = [node, "-e", "process.exit(typeof WebSocket === 'undefined' ? 1 : 0)"]
    has_it = subprocess.run(probe, check=False, capture_output=True).returncode == 0
    return [] if has_it else ["--experimental-websocket"]


async def test_sigterm_completes_subscriptions_and_closes_sockets_with_1001(
    tmp_path: Path, database_url: str, db: object
) -> None:
    """The stop signal reaches the sockets before uvicorn's own shutdown: each subscription
    gets `complete`, then the socket closes with 1001 (going away), and the process exits 0."""
    env = {"STOREFRONT_SEED_DEMO": "false", "STOREFRONT_SHUTDOWN_DELAY": "2"}
    with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as server:
        ws_url = server.graphql_url.replace("http://", "ws://")
        async with client(ws_url) as connection:
            await connection.subscribe("live", "subscription { changes { kind } }")
            await asyncio.sleep(0.3)  # the subscription is registered
            server.process.send_signal(signal.SIGTERM)
            assert await connection.receive() == {"id": "live", "type": "complete"}
            closed, _ = await connection.closed()
        assert closed == 1001
        assert server.process.wait(timeout=60) == 0
