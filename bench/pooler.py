"""What a lone read costs behind PgBouncer in transaction mode, by how its limits are kept;
with `--writes`, what a one-row write costs there against direct.

    .venv/bin/python bench/pooler.py [--reads 2000] [--rounds 5] [--writes]

Against an embedded PostgreSQL (or DATABASE_URL) and a PgBouncer started in front of it,
one client reads one row by primary key, one read after another, four ways:

- direct: the timeouts are session settings, asyncpg's statements are named and cached;
- pooled, client timeout: what `STOREFRONT_POOLER_MODE=transaction` does (asyncpg's
  timeout cancels the statement on the server; statements unnamed, as PgBouncer < 1.21 needs,
  named through one that keeps them: `PGBOUNCER` names the program);
- pooled, SET LOCAL: each read in its own transaction opened with the SET LOCALs
  (sent with the read, then COMMIT);
- pooled, no limit: the floor of the pooled reads.

With `--writes` the client updates one row after another, each in a transaction (BEGIN,
the UPDATE, COMMIT) as a mutation does, two ways: direct, and pooled (BEGIN and the SET
LOCALs sent with the UPDATE, `sql.unnamed`).

It prints the median over the rounds of microseconds per read, and its ratio to direct,
then the CPU time each read cost this client, PgBouncer and PostgreSQL (all its processes,
embedded database only): unlike the elapsed time, other work on the machine barely moves it.
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

from bench.common import cpu_seconds, pooler_pids, worker_pids
from server.embedded import EmbeddedPostgres
from server.pgbouncer import PgBouncer, pgbouncer
from sql.pool import Database, create_pool
from sql.transactions import transaction

READ = "SELECT id, name FROM bench_rows WHERE id = $1"
WRITE = "UPDATE bench_rows SET name = name WHERE id = $1 RETURNING id"


Figures = dict[str, float]
"""Microseconds per read: "elapsed", and the CPU time of each process group by its name."""


async def timed(
    read: Callable[[int], Awaitable[object]], reads: int, groups: dict[str, list[int]]
) -> Figures:
    for i in range(200):  # warm the connection and the caches
        await read(i % 100)
    cpu = {name: cpu_seconds(pids) for name, pids in groups.items()}
    started = time.perf_counter()
    for i in range(reads):
        await read(i % 100)
    figures = {"elapsed": time.perf_counter() - started}
    figures.update((name, cpu_seconds(pids) - cpu[name]) for name, pids in groups.items())
    return {name: seconds / reads * 1e6 for name, seconds in figures.items()}


def process_groups(postmaster: int | None) -> dict[str, list[int]]:
    """The processes whose CPU time a read costs: this one, PgBouncer (a child of this one)
    and, when known, PostgreSQL's (the postmaster's children)."""
    groups = {"client": [os.getpid()], "PgBouncer": pooler_pids()}
    if postmaster is not None:
        groups["PostgreSQL"] = worker_pids(postmaster)
    return groups


async def measure(
    direct_url: str,
    pooler: PgBouncer,
    *,
    reads: int,
    rounds: int,
    postmaster: int | None,
    writes: bool = False,
) -> dict[str, Figures]:
    setup = await create_pool(direct_url, min_size=1, max_size=1, statement_timeout_ms=0)
    await setup.execute(
        "CREATE TABLE IF NOT EXISTS bench_rows AS"
        " SELECT g AS id, 'row ' || g AS name FROM generate_series(0, 99) g"
    )
    await setup.close()
    direct = await create_pool(direct_url, min_size=1, max_size=1, statement_timeout_ms=5000)
    pooled, floor = [
        await create_pool(
            pooler.url,
            min_size=1,
            max_size=1,
            statement_timeout_ms=timeout_ms,
            transaction_pooler=True,
            prepared_statements=pooler.named,
        )
        for timeout_ms in (5000, 0)
    ]

    async def set_local(i: int) -> object:
        async with transaction(pooled) as conn:
            return await conn.fetchrow(READ, i)

    def lone(db: Database) -> Callable[[int], Awaitable[object]]:
        return lambda i: db.fetchrow(READ, i)

    def written(db: Database) -> Callable[[int], Awaitable[object]]:
        async def write(i: int) -> object:
            async with transaction(db) as conn:
                return await conn.fetchval(WRITE, i)

        return write

    ways = {
        "direct": lone(direct),
        "pooled, client timeout": lone(pooled),
        "pooled, SET LOCAL": set_local,
        "pooled, no limit": lone(floor),
    }
    if writes:
        ways = {"direct": written(direct), "pooled": written(pooled)}
    try:
        runs: dict[str, list[Figures]] = {name: [] for name in ways}
        for _ in range(rounds):  # the ways take turns, so a busy moment hits all of them
            groups = process_groups(postmaster)  # PostgreSQL's sessions come and go
            for name, read in ways.items():
                runs[name].append(await timed(read, reads, groups))
        return {
            name: {key: statistics.median(run[key] for run in found) for key in found[0]}
            for name, found in runs.items()
        }
    finally:
        for db in (direct, pooled, floor):
            await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=2000, help="reads (writes) per way and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is shown)")
    parser.add_argument("--writes", action="store_true", help="one-row writes instead of reads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        embedded, postmaster = None, None
        url = os.environ.get("DATABASE_URL")
        if url is None:
            embedded = EmbeddedPostgres(Path(scratch) / "pg", durable=False)
            url = embedded.start()
            postmaster = int((embedded.pgdata / "postmaster.pid").read_text().split()[0])
        try:
            with pgbouncer(url, Path(scratch) / "pgbouncer") as pooler:
                print(f"{pooler.label} statements (PGBOUNCER names another)")
                figures = asyncio.run(
                    measure(
                        url,
                        pooler,
                        reads=args.reads,
                        rounds=args.rounds,
                        postmaster=postmaster,
                        writes=args.writes,
                    )
                )
        finally:
            if embedded is not None:
                embedded.stop()
    base, unit = figures["direct"]["elapsed"], "write" if args.writes else "read"
    for name, found in figures.items():
        cpu = "  ".join(
            f"{group} {micros:4.0f}" for group, micros in found.items() if group != "elapsed"
        )
        print(
            f"{name:24} {found['elapsed']:8.0f} µs/{unit}  {found['elapsed'] / base:5.2f}x direct"
            f"   CPU µs/{unit}: {cpu}"
        )


if __name__ == "__main__":
    main()
