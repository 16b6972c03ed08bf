"""What a lone read costs behind PgBouncer in transaction mode, by how its limits are kept.

    .venv/bin/python bench/pooler.py [--reads 2000] [--rounds 5]

Against an embedded PostgreSQL (or DATABASE_URL) and a PgBouncer started in front of it,
one client reads one row by primary key, one read after another, four ways:

- direct: the timeouts are session settings, asyncpg's statements are named and cached;
- pooled, client timeout: what `STOREFRONT_POOLER_MODE=transaction` does (asyncpg's
  timeout cancels the statement on the server; statements unnamed, as PgBouncer < 1.21 needs);
- pooled, SET LOCAL: each read in its own transaction opened with the SET LOCALs
  (BEGIN batch, the read, COMMIT);
- pooled, no limit: the floor of the pooled reads.

It prints the median over the rounds of microseconds per read, and its ratio to direct.
Figures vary with how busy the machine is: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.embedded import EmbeddedPostgres
from server.pgbouncer import pgbouncer
from sql.pool import Database, create_pool
from sql.transactions import transaction

READ = "SELECT id, name FROM bench_rows WHERE id = $1"


async def timed(read: Callable[[int], Awaitable[object]], reads: int) -> float:
    for i in range(200):  # warm the connection and the caches
        await read(i % 100)
    started = time.perf_counter()
    for i in range(reads):
        await read(i % 100)
    return (time.perf_counter() - started) / reads * 1e6


async def measure(direct_url: str, pooled_url: str, *, reads: int, rounds: int) -> dict[str, float]:
    setup = await create_pool(direct_url, min_size=1, max_size=1, statement_timeout_ms=0)
    await setup.execute(
        "CREATE TABLE IF NOT EXISTS bench_rows AS"
        " SELECT g AS id, 'row ' || g AS name FROM generate_series(0, 99) g"
    )
    await setup.close()
    direct = await create_pool(direct_url, min_size=1, max_size=1, statement_timeout_ms=5000)
    pooled = await create_pool(
        pooled_url, min_size=1, max_size=1, statement_timeout_ms=5000, transaction_pooler=True
    )
    floor = await create_pool(
        pooled_url, min_size=1, max_size=1, statement_timeout_ms=0, transaction_pooler=True
    )

    async def set_local(i: int) -> object:
        async with transaction(pooled) as conn:
            return await conn.fetchrow(READ, i)

    def lone(db: Database) -> Callable[[int], Awaitable[object]]:
        return lambda i: db.fetchrow(READ, i)

    ways = {
        "direct": lone(direct),
        "pooled, client timeout": lone(pooled),
        "pooled, SET LOCAL": set_local,
        "pooled, no limit": lone(floor),
    }
    try:
        figures: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(rounds):  # the ways take turns, so a busy moment hits all of them
            for name, read in ways.items():
                figures[name].append(await timed(read, reads))
        return {name: statistics.median(runs) for name, runs in figures.items()}
    finally:
        for db in (direct, pooled, floor):
            await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=2000, help="reads per way and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        embedded = None
        url = os.environ.get("DATABASE_URL")
        if url is None:
            embedded = EmbeddedPostgres(Path(scratch) / "pg", durable=False)
            url = embedded.start()
        try:
            with pgbouncer(url, Path(scratch) / "pgbouncer") as pooled_url:
                figures = asyncio.run(
                    measure(url, pooled_url, reads=args.reads, rounds=args.rounds)
                )
        finally:
            if embedded is not None:
                embedded.stop()
    base = figures["direct"]
    for name, micros in figures.items():
        print(f"{name:24} {micros:8.0f} µs/read  {micros / base:5.2f}x direct")


if __name__ == "__main__":
    main()
