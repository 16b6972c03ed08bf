"""/healthz says the process is up; /readyz says the database answers and is migrated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx

from server.app import create_app
from server.embedded import EmbeddedPostgres
from server.settings import Settings
from sql import migrate
from tests.api.conftest import GraphQLClient
from tests.conftest import scratch_database


async def test_ready_when_migrated(client: GraphQLClient) -> None:
    assert (await client.http.get("/healthz")).json() == {"status": "ok"}
    ready = await client.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "migrations": "current"}


async def test_not_ready_while_migrations_are_pending(server_url: str) -> None:
    async with scratch_database(server_url) as url:
        app = create_app(Settings(database_url=url, pool_min_size=0))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                ready = await http.get("/readyz")
                assert ready.status_code == 503
                assert ready.json()["migrations"] == "pending"
                conn = await asyncpg.connect(url)
                try:
                    await migrate.migrate(conn)
                finally:
                    await conn.close()
                assert (await http.get("/readyz")).status_code == 200


async def test_readyz_turns_503_while_the_database_is_down(tmp_path: Path) -> None:
    embedded = EmbeddedPostgres(tmp_path, durable=False)
    url = embedded.start()
    try:
        conn = await asyncpg.connect(url)
        await migrate.migrate(conn)
        await conn.close()
        app = create_app(Settings(database_url=url, pool_min_size=1))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                assert (await http.get("/readyz")).status_code == 200
                embedded.stop()
                down = await http.get("/readyz")
                assert down.status_code == 503
                assert down.json() == {"status": "unavailable", "database": "unreachable"}
                assert (await http.get("/healthz")).status_code == 200
                embedded.start()
                # Pooled connections to the old server fail once each, then are replaced.
                statuses = []
                for _ in range(50):
                    statuses.append((await http.get("/readyz")).status_code)
                    if statuses[-1] == 200:
                        break
                    await asyncio.sleep(0.1)
                assert statuses[-1] == 200, statuses
    finally:
        embedded.stop()
