"""Wall time and SQL statements of the contract's benchmark query, over the default seed.

    .venv/bin/python bench/read_latency.py [--runs 20] [--n 50]

Uses DATABASE_URL when set (seeding it when empty), else an embedded PostgreSQL under
.storefront/bench. Starts a real `storefront serve`, warms it up, then times the query
over HTTP and prints the median and spread. Statement counts come from the app run in
process with a query logger on its pool.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    database,
    prepare,
    serve,
    stop,
)
from bench.latency import spread, timed_posts
from bench.statements import StatementLog, count_statements, in_process, our_app

BENCHMARK = """query($n: Int) { orders(first: $n) { edges { node { number status total
  customer { name email }
  lines { quantity unitPrice product { name price category { name } } } } } } }"""
NESTED = """{ customers(first: 50) { nodes {
  orders(first: 5) { nodes { lines { product { name } } } } } } }"""


async def statement_counts(url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    log = StatementLog()
    async with in_process(our_app(url, log)) as client:
        for label, query, variables in [
            ("orders(first: 1)", BENCHMARK, {"n": 1}),
            ("orders(first: 50)", BENCHMARK, {"n": 50}),
            ("orders(first: 100)", BENCHMARK, {"n": 100}),
            ("customers(first: 50) { orders(first: 5) ... }", NESTED, {}),
        ]:
            body = {"query": query, "variables": variables}
            counts[label], response = await count_statements(client, log, body, warm=False)
            assert "errors" not in response, response
    return counts


def time_query(base: str, *, n: int, runs: int) -> list[float]:
    def full_page(answer: Any) -> None:
        assert len(answer["data"]["orders"]["edges"]) == n

    body = {"query": BENCHMARK, "variables": {"n": n}}
    return timed_posts(base, body, runs=runs, check=full_page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    with database() as url:
        asyncio.run(prepare(url))
        counts = asyncio.run(statement_counts(url))
        process, base = serve(url)
        try:
            times = time_query(base, n=args.n, runs=args.runs)
        finally:
            stop(process)
    print("SQL statements per request:")
    for label, count in counts.items():
        print(f"  {label:<48} {count}")
    print(f"benchmark query, orders(first: {args.n}), {args.runs} runs over HTTP:")
    print(spread(times))


if __name__ == "__main__":
    main()
