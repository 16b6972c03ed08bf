"""Behind PgBouncer in transaction mode: nothing stays on a server connection between
transactions, yet every transaction and every lone statement keeps its limits."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import asyncpg
import pytest

from server.pgbouncer import KEEPS_PREPARED, executable, pgbouncer, version
from sql.errors import StatementTimedOut, transient
from sql.pool import Database, create_pool
from sql.transactions import transaction
from tests.sql.test_write_position import observed


async def test_session_settings_are_refused_by_a_transaction_pooler(pgbouncer_url: str) -> None:
    """Why the mode exists: the timeouts as startup parameters cannot pass PgBouncer."""
    with pytest.raises(asyncpg.PostgresError, match="unsupported startup parameter"):
        await create_pool(pgbouncer_url, min_size=1, max_size=1, statement_timeout_ms=1000)


async def test_transactions_carry_their_limits_and_leave_nothing_behind(
    pgbouncer_url: str,
) -> None:
    db = await create_pool(
        pgbouncer_url,
        min_size=1,
        max_size=2,
        statement_timeout_ms=1234,
        lock_timeout_ms=1500,
        idle_in_transaction_timeout_ms=2500,
        transaction_pooler=True,
    )
    try:
        async with transaction(db) as conn:
            assert await conn.fetchval("SHOW statement_timeout") == "1234ms"
            assert await conn.fetchval("SHOW lock_timeout") == "1500ms"
            assert await conn.fetchval("SHOW idle_in_transaction_session_timeout") == "2500ms"
            assert await conn.fetchval("SHOW timezone") == "UTC"
        # Outside a transaction, the server connection has its defaults: nothing was SET.
        assert await db.fetchval("SHOW statement_timeout") == "0"
        assert await db.fetchval("SHOW lock_timeout") == "0"
        # Another client of the same PgBouncer sees no trace of them either.
        other = await asyncpg.connect(pgbouncer_url, statement_cache_size=0)
        try:
            assert await other.fetchval("SHOW statement_timeout") == "0"
        finally:
            await other.close()
    finally:
        await db.close()


async def test_a_failed_transaction_is_rolled_back(pgbouncer_url: str) -> None:
    db = await create_pool(
        pgbouncer_url, min_size=1, max_size=1, statement_timeout_ms=0, transaction_pooler=True
    )
    try:

        async def fail_after_a_write() -> None:
            async with transaction(db) as conn:
                await conn.execute("CREATE TEMP TABLE scratch (x int) ON COMMIT DROP")
                await conn.fetchval("SELECT 1 / 0")

        with pytest.raises(asyncpg.DivisionByZeroError):
            await fail_after_a_write()
        assert not await db.fetchval("SELECT to_regclass('pg_temp.scratch') IS NOT NULL")
        assert await db.fetchval("SELECT 1") == 1
    finally:
        await db.close()


async def test_a_transaction_opens_with_its_first_statement(pgbouncer_url: str) -> None:
    """BEGIN and the SET LOCALs leave with the first statement, whichever protocol it takes;
    a block that sends nothing opens nothing, and one whose first statement fails before it
    is sent leaves nothing open either."""
    db = await create_pool(
        pgbouncer_url, min_size=1, max_size=1, statement_timeout_ms=4321, transaction_pooler=True
    )

    async def idle() -> None:
        async with db.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SHOW statement_timeout") == "0"
            assert not conn.is_in_transaction()

    try:
        with observed() as statements:
            async with transaction(db) as conn:
                # The simple protocol: dropped at once were it outside a transaction.
                await conn.execute("CREATE TEMP TABLE scratch (x int) ON COMMIT DROP")
                assert await conn.fetchval("SELECT count(*) FROM scratch") == 0
                assert await conn.fetchval("SHOW statement_timeout") == "4321ms"
        assert [text.split()[0] for text in statements.texts] == [
            "CREATE",
            "SELECT",
            "SHOW",
            "COMMIT",
        ]
        with observed() as statements:
            async with transaction(db):
                pass
        assert statements.texts == []
        await idle()
        with pytest.raises(asyncpg.DataError):
            async with transaction(db) as conn:
                await conn.fetchval("SELECT $1::int", "not a number")  # refused by the client
        await idle()
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with transaction(db) as conn:
                await conn.fetchval("SELECT 1 / $1::int", 0)
        await idle()
    finally:
        await db.close()


async def test_a_lone_statement_is_cancelled_on_the_server_at_its_timeout(
    pgbouncer_url: str, direct_database_url: str
) -> None:
    db = await create_pool(
        pgbouncer_url, min_size=1, max_size=1, statement_timeout_ms=300, transaction_pooler=True
    )
    watcher = await asyncpg.connect(direct_database_url)
    try:
        started = time.monotonic()
        with pytest.raises(StatementTimedOut) as timed_out:
            await db.fetchval("SELECT pg_sleep(5) /* overlong */")
        assert 0.25 < time.monotonic() - started < 3
        assert transient(timed_out.value) == "timeout"
        running = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE state = 'active' AND query LIKE '%/* overlong */'"
        )
        for _ in range(50):  # the cancel request travels through PgBouncer
            if await watcher.fetchval(running + " AND pid <> pg_backend_pid()") == 0:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the statement still runs on the server")
        assert await db.fetchval("SELECT 2") == 2
    finally:
        await watcher.close()
        await db.close()


async def test_statements_are_described_once_and_sent_unnamed(
    direct_database_url: str, tmp_path: Path
) -> None:
    """Two clients take turns on one server connection: a named statement of one would be
    missing for the other, or be the other's. Each statement is described once per client
    connection and then runs in one round trip."""
    with pgbouncer(direct_database_url, tmp_path, pool_size=1, named=False) as running:
        pools = await two_clients(running.url, named=False)
        async with pools[0].acquire() as conn:
            described = conn._con._described
            assert len(described) == 2
            assert all(not statement.name for statement in described.values())
        for db in pools:
            await db.close()


async def test_a_pgbouncer_that_keeps_prepared_statements_runs_ours_named(
    direct_database_url: str, tmp_path: Path
) -> None:
    """Through a PgBouncer of 1.21 or later (`PGBOUNCER`), each client keeps its named
    statements while the two take turns on one server connection, which prepares each
    statement once: PostgreSQL parses it once, not at every run."""
    skip_unless_named()
    with pgbouncer(direct_database_url, tmp_path, pool_size=1) as running:
        assert running.named
        pools = await two_clients(running.url, named=True)
        async with pools[0].acquire() as conn:
            # on PgBouncer's one server connection: its names for our statements
            prepared = await conn.fetch("SELECT name, statement FROM pg_prepared_statements")
        for db in pools:
            await db.close()
    texts = sorted(row["statement"] for row in prepared)
    assert "SELECT $1::int + 1" in texts
    assert "SELECT $1::text || '!'" in texts
    assert len(texts) == len(set(texts)), "prepared once per server connection"


async def clients(url: str, *, named: bool) -> list[Database]:
    """Two pools of one connection each through the pooler at `url`."""
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


def skip_unless_named() -> None:
    if version(executable() or "pgbouncer") < KEEPS_PREPARED:
        pytest.skip("this PgBouncer cannot keep prepared statements (PGBOUNCER names another)")


async def two_clients(url: str, *, named: bool) -> list[Database]:
    """Two pools of one connection each, taking turns through `url`, each checked to get
    its own answers."""
    pools = await clients(url, named=named)

    async def client(db: Database, k: int) -> list[object]:
        results: list[object] = []
        for i in range(30):
            results.append(await db.fetchval("SELECT $1::int + 1", i * k))
            results.append(await db.fetchval("SELECT $1::text || '!'", str(i * k)))
        return results

    first, second = await asyncio.gather(client(pools[0], 1), client(pools[1], 2))
    assert first == [x for i in range(30) for x in (i + 1, f"{i}!")]
    assert second == [x for i in range(30) for x in (2 * i + 1, f"{2 * i}!")]
    return pools


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
async def test_connections_leave_no_descriptor_open(pgbouncer_url: str) -> None:
    """Each connection corks its socket through a descriptor of its own: closing the pool,
    or a connection dropped on the way, closes that one too, while the connection objects
    are still around (held here, as a caller or a traceback may)."""

    def descriptors() -> int:
        return len(list(Path("/proc/self/fd").iterdir()))

    before = descriptors()
    db = await create_pool(
        pgbouncer_url, min_size=2, max_size=2, statement_timeout_ms=0, transaction_pooler=True
    )
    held = []
    for i in range(3):
        async with db.acquire() as conn:
            assert await conn.fetchval("SELECT $1::int", i) == i
            held.append(conn._con)
            if i == 0:
                conn._con.terminate()  # dropped: the pool opens another one
    await db.close()
    assert descriptors() == before
    assert len(held) == 3


async def test_a_column_type_changed_under_named_statements_is_read_anew(
    direct_database_url: str, tmp_path: Path
) -> None:
    """PgBouncer prepares one query text once per server connection, whoever sent it: after
    a column changes type, that statement fails ("cached plan must not change result type")
    on every use, and asyncpg's re-prepare under a new name of its own reaches the same one.
    Our reads outside a transaction answer with the new type at the first try."""
    skip_unless_named()
    table = f"retyped_{os.getpid()}"
    direct = await asyncpg.connect(direct_database_url)
    await direct.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v numeric(6, 2))")
    await direct.execute(f"INSERT INTO {table} VALUES (1, 1.5)")
    query = f"SELECT v FROM {table} WHERE id = $1"
    try:
        with pgbouncer(direct_database_url, tmp_path, pool_size=1) as running:
            pools = await clients(running.url, named=True)
            for db in pools:
                assert str(await db.fetchval(query, 1)) == "1.50"
            await direct.execute(f"ALTER TABLE {table} ALTER v TYPE numeric(8, 3)")
            for db in pools:
                assert str(await db.fetchval(query, 1)) == "1.500"
                assert str(await db.fetchval(query, 1)) == "1.500"
            for db in pools:
                await db.close()
    finally:
        await direct.execute(f"DROP TABLE {table}")
        await direct.close()
