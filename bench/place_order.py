"""Wall time and SQL statements of `placeOrder` with 3 lines.

    .venv/bin/python bench/place_order.py [--runs 50]

Uses DATABASE_URL when set, else an embedded PostgreSQL under .storefront/bench. Adds a
small catalogue of its own (a customer and three products, kept in stock), starts a real
`storefront serve`, warms it up, then times the mutation over HTTP and prints the median
and spread. The statement count comes from the app run in process with a query logger.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.read_latency import serve, staff_headers  # noqa: E402
from gql.node_ids import to_global_id  # noqa: E402
from server.app import create_app  # noqa: E402
from server.database import apply_migrations  # noqa: E402
from server.embedded import EmbeddedPostgres  # noqa: E402
from server.settings import Settings  # noqa: E402

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename
  ... on PlaceOrderSuccess { order { id number total lines { quantity unitPrice } } } } }"""
SKUS = ("BENCH-1", "BENCH-2", "BENCH-3")
STOCK = 1_000_000


async def prepare(url: str) -> dict[str, Any]:
    """The mutation's input, over the bench catalogue (created when missing, restocked)."""
    await apply_migrations(url)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            customer = await conn.fetchval(
                "SELECT id FROM customers WHERE email = 'bench@example.com' AND deleted_at IS NULL"
            ) or await conn.fetchval(
                "INSERT INTO customers (email, name) VALUES ('bench@example.com', 'Bench')"
                " RETURNING id"
            )
            category = await conn.fetchval(
                "SELECT id FROM categories WHERE name = 'Bench' AND deleted_at IS NULL"
            ) or await conn.fetchval("INSERT INTO categories (name) VALUES ('Bench') RETURNING id")
            products = []
            for n, sku in enumerate(SKUS, start=1):
                product = await conn.fetchval(
                    "SELECT id FROM products WHERE sku = $1 AND deleted_at IS NULL", sku
                ) or await conn.fetchval(
                    "INSERT INTO products (sku, name, price, category_id)"
                    " VALUES ($1, $2, $3, $4) RETURNING id",
                    sku,
                    f"Bench product {n}",
                    Decimal("3.25") * n,
                    category,
                )
                products.append(product)
            await conn.execute(
                "UPDATE products SET stock = $2 WHERE id = ANY($1::uuid[])", products, STOCK
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {
        "customerId": to_global_id("Customer", customer),
        "lines": [
            {"productId": to_global_id("Product", p), "quantity": q}
            for p, q in zip(products, (1, 2, 3), strict=True)
        ],
    }


async def statement_count(url: str, input: dict[str, Any]) -> int:
    statements: list[str] = []

    def record(logged: Any) -> None:
        if "pg_catalog.pg_type" not in logged.query and "set_config('jit'" not in logged.query:
            statements.append(logged.query)

    app = create_app(Settings(database_url=url), query_logger=record)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=staff_headers()
        ) as client:
            body = {"query": PLACE, "variables": {"input": input}}
            await client.post("/graphql", json=body)  # types introspected, statements prepared
            statements.clear()
            response = await client.post("/graphql", json=body)
            assert response.json()["data"]["placeOrder"]["__typename"] == "PlaceOrderSuccess"
    return len(statements)


def time_mutation(base: str, input: dict[str, Any], *, runs: int) -> list[float]:
    body = {"query": PLACE, "variables": {"input": input}}
    with httpx.Client(base_url=base, timeout=30, headers=staff_headers()) as client:
        for _ in range(5):
            client.post("/graphql", json=body).raise_for_status()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post("/graphql", json=body)
            times.append((time.perf_counter() - started) * 1000)
            result = response.json()["data"]["placeOrder"]
            assert result["__typename"] == "PlaceOrderSuccess", result
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    embedded = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        embedded = EmbeddedPostgres(ROOT / ".storefront" / "bench")
        url = embedded.start()
    try:
        input = asyncio.run(prepare(url))
        count = asyncio.run(statement_count(url, input))
        process, base = serve(url)
        try:
            times = time_mutation(base, input, runs=args.runs)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    finally:
        if embedded is not None:
            embedded.stop()
    print(f"SQL statements per placeOrder (3 lines, transaction included): {count}")
    print(f"placeOrder with 3 lines, {args.runs} runs over HTTP:")
    print(
        f"  median {statistics.median(times):.1f} ms   min {min(times):.1f} ms   "
        f"max {max(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
