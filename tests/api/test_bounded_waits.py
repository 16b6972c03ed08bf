"""Every wait is bounded, through the app: a lock, a statement, the request, the pool, admission.

Each limit is made to fire for real: the test holds a lock from its own connection so the
app's statement waits on it (lock_timeout, statement_timeout, the request deadline), holds
the app's only pooled connection (acquire timeout), or keeps a request in flight (overload).
Every answer is a clean top-level error with a retryable code and none of the internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import httpx

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.failing import COUNT, app_client, assert_no_leak, only_error
from tests.conftest import lock_waiters, tables_locked

ADJUST = """mutation($id: ID!) { adjustStock(id: $id, delta: 1) {
  __typename ... on AdjustStockSuccess { product { stock } } } }"""
PAGE = "{ products(first: 1) { nodes { name } } }"


@contextlib.asynccontextmanager
async def row_locked(database_url: str, product_id: UUID) -> AsyncIterator[asyncpg.Connection]:
    """The product's row locked by another session for the block."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT 1 FROM products WHERE id = $1 FOR UPDATE", product_id)
            yield conn
    finally:
        await conn.close()


async def a_product(db: Database) -> UUID:
    return await factories.product(db, await factories.category(db), stock=5)


async def adjust(http: httpx.AsyncClient, product_id: UUID) -> httpx.Response:
    variables = {"id": to_global_id("Product", product_id)}
    return await http.post("/graphql", json={"query": ADJUST, "variables": variables})


async def adjust_while_locked(
    database_url: str, http: httpx.AsyncClient, product_id: UUID
) -> tuple[httpx.Response, float]:
    """adjustStock of a product whose row another transaction holds: the answer, and the
    seconds it took."""
    async with row_locked(database_url, product_id):
        started = time.monotonic()
        response = await adjust(http, product_id)
        return response, time.monotonic() - started


async def stock_of(db: Database, product_id: UUID) -> int:
    stock: int = await db.fetchval("SELECT stock FROM products WHERE id = $1", product_id)
    return stock


async def test_lock_timeout_is_a_retryable_timeout_and_writes_nothing(
    database_url: str, db: Database
) -> None:
    product_id = await a_product(db)
    async with app_client(database_url, lock_timeout_ms=300) as http:
        response, elapsed = await adjust_while_locked(database_url, http, product_id)
        assert 0.25 < elapsed < 2, elapsed
        assert response.status_code == 200
        assert response.json()["data"] is None
        error = only_error(response)
        assert error["extensions"]["code"] == "TIMEOUT"
        assert error["extensions"]["retryable"] is True
        assert error["path"] == ["adjustStock"]
        assert_no_leak(response)
        assert await stock_of(db, product_id) == 5
        # Once the lock is gone the same request goes through.
        assert (await adjust(http, product_id)).json()["data"]["adjustStock"]["product"] == {
            "stock": 6
        }


async def test_statement_timeout_is_a_retryable_timeout(database_url: str, db: Database) -> None:
    await a_product(db)
    async with (
        app_client(database_url, lock_timeout_ms=0, statement_timeout_ms=300) as http,
        tables_locked(database_url, "products"),
    ):
        started = time.monotonic()
        response = await http.post("/graphql", json={"query": PAGE})
        elapsed = time.monotonic() - started
    assert 0.25 < elapsed < 2, elapsed
    assert response.status_code == 200
    error = only_error(response)
    assert error["extensions"] == {
        "code": "TIMEOUT",
        "retryable": True,
        "requestId": response.headers["x-request-id"],
    }
    assert error["path"] == ["products"]
    assert_no_leak(response)


async def test_the_request_deadline_stops_execution_and_rolls_back(
    database_url: str, db: Database
) -> None:
    product_id = await a_product(db)
    async with app_client(
        database_url,
        request_timeout=0.5,
        lock_timeout_ms=0,
        statement_timeout_ms=0,
        pool_max_size=1,
    ) as http:
        response, elapsed = await adjust_while_locked(database_url, http, product_id)
        assert 0.45 < elapsed < 2, elapsed
        assert response.status_code == 504
        body = response.json()
        assert "data" not in body
        [error] = body["errors"]
        assert error["extensions"]["code"] == "TIMEOUT"
        assert error["extensions"]["retryable"] is True
        assert "0.5 s" in error["message"]
        assert_no_leak(response)
        assert await stock_of(db, product_id) == 5
        # The cancelled statement's connection went back to the pool, usable: the one
        # connection the pool has serves the next request.
        again = await adjust(http, product_id)
        assert again.json()["data"]["adjustStock"]["product"] == {"stock": 6}


async def test_an_exhausted_pool_is_service_unavailable(database_url: str, db: Database) -> None:
    product_id = await a_product(db)
    async with app_client(database_url, pool_max_size=1, pool_acquire_timeout=0.2) as http:
        pool: Database = http.app.state.pool  # type: ignore[attr-defined]
        async with pool.acquire():
            started = time.monotonic()
            read = await http.post("/graphql", json={"query": COUNT})
            write = await adjust(http, product_id)
            elapsed = time.monotonic() - started
        assert elapsed < 2, elapsed
        for response in (read, write):
            assert response.status_code == 200
            error = only_error(response)
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert error["extensions"]["retryable"] is True
            assert error["extensions"]["retryAfter"] == 1
            assert_no_leak(response)
        assert await stock_of(db, product_id) == 5
        after = await http.post("/graphql", json={"query": COUNT})
        assert after.json()["data"] == {"products": {"totalCount": 1}}


async def test_overload_is_refused_at_once_and_health_is_never_shed(
    database_url: str, db: Database
) -> None:
    await a_product(db)
    async with app_client(
        database_url, max_concurrent_requests=1, lock_timeout_ms=0, statement_timeout_ms=0
    ) as http:
        async with tables_locked(database_url, "products"):
            first = asyncio.create_task(http.post("/graphql", json={"query": COUNT}))
            await lock_waiters(db)
            started = time.monotonic()
            refused = await http.post("/graphql", json={"query": "{ __typename }"})
            elapsed = time.monotonic() - started
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            assert not first.done()
        assert elapsed < 0.5, elapsed
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        error = only_error(refused)
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["retryable"] is True
        assert_no_leak(refused)
        done = await first
        assert done.json()["data"] == {"products": {"totalCount": 1}}
        # The slot is free again.
        again = await http.post("/graphql", json={"query": "{ __typename }"})
        assert again.json()["data"] == {"__typename": "Query"}
