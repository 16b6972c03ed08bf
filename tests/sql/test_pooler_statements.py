"""Our statements through PgBouncer in transaction mode: unnamed behind one that cannot keep
prepared statements, named behind one that can (`PGBOUNCER`, 1.21 or later), and read anew
after a schema change."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from server.pgbouncer import KEEPS_PREPARED, executable, pgbouncer, version
from sql.pool import Database, create_pool
from sql.transactions import transaction


async def test_statements_are_described_once_and_sent_unnamed(
    direct_database_url: str, tmp_path: Path
) -> None:
    """Two clients take turns on one server connection: a named statement of one would be
    missing for the other, or be the other's. Each statement is described once per client
    connection and then runs in one round trip."""
    with pgbouncer(direct_database_url, tmp_path, pool_size=1, named=False) as running:
        async with two_clients(running.url, named=False) as pools, pools[0].acquire() as conn:
            described = conn._con._described
        assert len(described) == 2
        assert all(not statement.name for statement in described.values())


async def test_a_pgbouncer_that_keeps_prepared_statements_runs_ours_named(
    direct_database_url: str, tmp_path: Path
) -> None:
    """Through a PgBouncer of 1.21 or later (`PGBOUNCER`), each client keeps its named
    statements while the two take turns on one server connection, which prepares each
    statement once: PostgreSQL parses it once, not at every run."""
    skip_unless_named()
    with pgbouncer(direct_database_url, tmp_path, pool_size=1) as running:
        assert running.named
        async with two_clients(running.url, named=True) as pools, pools[0].acquire() as conn:
            # on PgBouncer's one server connection: its names for our statements
            prepared = await conn.fetch("SELECT name, statement FROM pg_prepared_statements")
    texts = sorted(row["statement"] for row in prepared)
    assert "SELECT $1::int + 1" in texts
    assert "SELECT $1::text || '!'" in texts
    assert len(texts) == len(set(texts)), "prepared once per server connection"


async def clients(url: str, *, named: bool) -> list[Database]:
    """Two pools of one connection each through the pooler at `url` (closed by the caller,
    with `closing`)."""
    return [
        await create_pool(
            url,
            min_size=1,
            max_size=1,
            statement_timeout_ms=0,
            transaction_pooler=True,
            prepared_statements=named,
        )
        for _ in range(2)
    ]


@contextlib.asynccontextmanager
async def closing(pools: list[Database]) -> AsyncIterator[list[Database]]:
    """`pools`, and any added to it in the block, closed when the block ends."""
    try:
        yield pools
    finally:
        for db in pools:
            await db.close()


def skip_unless_named() -> None:
    program = executable()
    if program is None or version(program) < KEEPS_PREPARED:
        pytest.skip("this PgBouncer cannot keep prepared statements (PGBOUNCER names another)")


@contextlib.asynccontextmanager
async def two_clients(url: str, *, named: bool) -> AsyncIterator[list[Database]]:
    """Two pools of one connection each, taking turns through `url`, each checked to get
    its own answers, open for the block."""
    async with closing(await clients(url, named=named)) as pools:
        await take_turns(pools)
        yield pools


async def take_turns(pools: list[Database]) -> None:

    async def client(db: Database, k: int) -> list[object]:
        results: list[object] = []
        for i in range(30):
            results.append(await db.fetchval("SELECT $1::int + 1", i * k))
            results.append(await db.fetchval("SELECT $1::text || '!'", str(i * k)))
        return results

    first, second = await asyncio.gather(client(pools[0], 1), client(pools[1], 2))
    assert first == [x for i in range(30) for x in (i + 1, f"{i}!")]
    assert second == [x for i in range(30) for x in (2 * i + 1, f"{2 * i}!")]


async def test_a_column_type_changed_under_named_statements_is_read_anew(
    direct_database_url: str, tmp_path: Path
) -> None:
    """PgBouncer prepares one query text once per server connection, whoever sent it: after
    a column changes type, that statement fails ("cached plan must not change result type")
    on every use, and asyncpg's re-prepare under a new name of its own reaches the same one.
    Our reads outside a transaction answer with the new type at the first try, from pools
    that have seen different schema changes (one opened after the first of them) sharing
    PgBouncer's one server connection; a transaction fails once, as it does direct."""
    skip_unless_named()
    table = f"retyped_{os.getpid()}"
    direct = await asyncpg.connect(direct_database_url)
    await direct.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v numeric(6, 2))")
    await direct.execute(f"INSERT INTO {table} VALUES (1, 1.5)")
    query = f"SELECT v FROM {table} WHERE id = $1"
    try:
        with pgbouncer(direct_database_url, tmp_path, pool_size=1) as running:
            async with closing(await clients(running.url, named=True)) as pools:
                for db in pools:
                    assert str(await db.fetchval(query, 1)) == "1.50"
                await direct.execute(f"ALTER TABLE {table} ALTER v TYPE numeric(8, 3)")
                for db in pools:
                    assert str(await db.fetchval(query, 1)) == "1.500"
                    assert str(await db.fetchval(query, 1)) == "1.500"
                await direct.execute(f"ALTER TABLE {table} ALTER v TYPE numeric(10, 4)")
                assert str(await pools[0].fetchval(query, 1)) == "1.5000"
                # Opened now: its first text was prepared before both changes, and a
                # text marked after one drop, by the others, before the second.
                pools += await clients(running.url, named=True)
                for db in pools:
                    assert str(await db.fetchval(query, 1)) == "1.5000"
                await direct.execute(f"ALTER TABLE {table} ALTER v TYPE numeric(12, 5)")
                with pytest.raises(asyncpg.InvalidCachedStatementError):
                    async with transaction(pools[1]) as conn:
                        await conn.fetchval(query, 1)
                async with transaction(pools[1]) as conn:
                    assert str(await conn.fetchval(query, 1)) == "1.50000"
                for db in pools:
                    assert str(await db.fetchval(query, 1)) == "1.50000"
    finally:
        await direct.execute(f"DROP TABLE {table}")
        await direct.close()
