"""Wall time and SQL statements of `placeOrder` with 3 lines.

    .venv/bin/python bench/place_order.py [--runs 50]

Uses DATABASE_URL when set, else an embedded PostgreSQL under .storefront/bench, prepared
as every bench script prepares it (migrated, the default scale seeded when empty: so
`make bench` finds its data whichever runs first). Adds a small catalogue of its own (a
customer and three products, kept in stock), starts a real
`storefront serve`, warms it up, then times the mutation over HTTP and prints the median
and spread. The statement count comes from the app run in process with a query logger.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bench_catalogue,
    database,
    place_order_input,
    prepare,
    serve,
    stop,
)
from bench.latency import spread, timed_posts
from bench.statements import StatementLog, count_statements, in_process, our_app
from sql.pool import connect

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename
  ... on PlaceOrderSuccess { order { id number total lines { quantity unitPrice } } } } }"""


async def order_input(url: str) -> dict[str, Any]:
    """The mutation's input, over the bench catalogue (created when missing, restocked)."""
    await prepare(url)
    async with connect(url) as conn:
        customer, products = await bench_catalogue(conn, products=3)
    return place_order_input(customer, list(zip(products, (1, 2, 3), strict=True)))


async def statement_count(url: str, input: dict[str, Any]) -> int:
    log = StatementLog()
    async with in_process(our_app(url, log)) as client:
        body = {"query": PLACE, "variables": {"input": input}}
        count, response = await count_statements(client, log, body)
        assert response["data"]["placeOrder"]["__typename"] == "PlaceOrderSuccess", response
    return count


def placed(answer: Any) -> None:
    result = answer["data"]["placeOrder"]
    assert result["__typename"] == "PlaceOrderSuccess", result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with database() as url:
        input = asyncio.run(order_input(url))
        count = asyncio.run(statement_count(url, input))
        process, base = serve(url)
        try:
            body = {"query": PLACE, "variables": {"input": input}}
            times = timed_posts(base, body, runs=args.runs, check=placed)
        finally:
            stop(process)
    print(f"SQL statements per placeOrder (3 lines, transaction included): {count}")
    print(f"placeOrder with 3 lines, {args.runs} runs over HTTP:")
    print(spread(times))


if __name__ == "__main__":
    main()
