"""Behind PgBouncer in transaction mode: nothing stays on a server connection between
transactions, yet every transaction and every lone statement keeps its limits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest

from sql.errors import StatementTimedOut, transient
from sql.pool import create_pool
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
