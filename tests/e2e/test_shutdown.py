"""SIGTERM with a request in flight, against a real server process.

The test holds a row lock from its own connection, so a mutation sent to the server waits
on it (with lock and statement timeouts raised for the test) and is certainly in flight
when SIGTERM arrives. Then: `/readyz` says 503 at once; after the shutdown delay the server
stops accepting connections; the in-flight request, released, completes with 200; the pool
closes (no session of the server is left) and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.conftest import TEST_SECRET, lock_waiters, token
from tests.e2e.conftest import storefront_serve

pytestmark = pytest.mark.e2e

ADJUST = """mutation($id: ID!) { adjustStock(id: $id, delta: 1) {
  __typename ... on AdjustStockSuccess { product { stock } } } }"""
SHUTDOWN_DELAY = 1.0


async def storefront_sessions(conn: asyncpg.Connection) -> set[int]:
    """Backends of pools named `storefront` (the server's, and the test suite's own)."""
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'storefront'"
    )
    return {row["pid"] for row in rows}


async def test_sigterm_turns_readiness_off_at_once_and_drains(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    product_id = await factories.product(db, await factories.category(db), stock=5)
    env = {
        "STOREFRONT_SEED_DEMO": "false",
        "STOREFRONT_JWT_SECRET": TEST_SECRET,
        "STOREFRONT_LOCK_TIMEOUT_MS": "30000",
        "STOREFRONT_STATEMENT_TIMEOUT_MS": "30000",
        "STOREFRONT_REQUEST_TIMEOUT": "30",
        "STOREFRONT_SHUTDOWN_DELAY": str(SHUTDOWN_DELAY),
    }
    locker = await asyncpg.connect(database_url)
    try:
        before = await storefront_sessions(locker)
        with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as server:
            async with httpx.AsyncClient(timeout=30) as http:
                lock = locker.transaction()
                await lock.start()
                await locker.execute("SELECT 1 FROM products WHERE id = $1 FOR UPDATE", product_id)
                in_flight = asyncio.create_task(
                    http.post(
                        server.graphql_url,
                        json={
                            "query": ADJUST,
                            "variables": {"id": to_global_id("Product", product_id)},
                        },
                        headers={"Authorization": f"Bearer {token('staff')}"},
                    )
                )
                await lock_waiters(locker)

                signalled = time.monotonic()
                server.process.send_signal(signal.SIGTERM)
                # A new client, as a load balancer's probe would be.
                async with httpx.AsyncClient(timeout=5) as probe:
                    ready = await probe.get(server.base_url + "/readyz")
                    readiness_off = time.monotonic() - signalled
                    assert ready.status_code == 503
                    assert ready.json()["shutdown"] == "in progress"
                    assert (await probe.get(server.base_url + "/healthz")).status_code == 200
                assert readiness_off < 0.5, readiness_off
                print(f"/readyz said 503 {readiness_off:.3f}s after SIGTERM")

                # After the delay the listening socket is closed; the request still waits.
                await asyncio.sleep(SHUTDOWN_DELAY + 0.5)
                async with httpx.AsyncClient(timeout=2) as late:
                    with pytest.raises(httpx.ConnectError):
                        await late.get(server.base_url + "/healthz")
                assert not in_flight.done()
                assert server.process.poll() is None

                await lock.rollback()
                response = await in_flight
                assert response.status_code == 200
                assert response.json()["data"]["adjustStock"]["product"] == {"stock": 6}

            code = await asyncio.to_thread(server.process.wait, 30)
            assert code == 0
            # The pool was closed: none of the server's sessions is left.
            for _ in range(50):
                if await storefront_sessions(locker) <= before:
                    break
                await asyncio.sleep(0.02)
            assert await storefront_sessions(locker) <= before
    finally:
        await locker.close()
    log = server.log()
    assert "Traceback" not in log, log
