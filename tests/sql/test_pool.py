"""The pool wrapper: statements wait a bounded time for a connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import asyncpg
import pytest

from sql.errors import transient
from sql.pool import Database, create_pool
from tests.conftest import scratch_database


async def cancel_halfway_then_read(db: Database, sleep: Coroutine[Any, Any, Any]) -> None:
    """`sleep` (a use of the pool sleeping 5 s) cancelled while it runs; the next statement
    is answered at once, not after the sleep it cancelled."""
    task = asyncio.create_task(sleep)
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    assert await db.fetchval("SELECT 1") == 1
    assert time.monotonic() - started < 4


async def test_waiting_for_a_connection_is_bounded(database_url: str) -> None:
    db = await create_pool(
        database_url, min_size=1, max_size=1, statement_timeout_ms=0, acquire_timeout=0.2
    )
    try:
        async with db.acquire():
            started = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await db.fetchval("SELECT 1")
            assert 0.15 < time.monotonic() - started < 2
        assert await db.fetchval("SELECT 1") == 1
    finally:
        await db.close()


async def test_sessions_get_utc_and_the_statement_timeout(database_url: str) -> None:
    db = await create_pool(database_url, min_size=1, max_size=1, statement_timeout_ms=1234)
    try:
        assert await db.fetchval("SHOW statement_timeout") == "1234ms"
        assert await db.fetchval("SHOW timezone") == "UTC"
    finally:
        await db.close()


async def test_sessions_get_the_lock_and_idle_transaction_timeouts(database_url: str) -> None:
    db = await create_pool(
        database_url,
        min_size=1,
        max_size=1,
        statement_timeout_ms=0,
        lock_timeout_ms=1500,
        idle_in_transaction_timeout_ms=250,
    )
    try:
        assert await db.fetchval("SHOW lock_timeout") == "1500ms"
        assert await db.fetchval("SHOW idle_in_transaction_session_timeout") == "250ms"

        # A transaction left idle past the limit is ended by the server; what the client
        # sees next counts as transient, so the edge answers it as retryable.
        async def idle_then_continue() -> None:
            async with db.acquire() as conn, conn.transaction():
                await conn.execute("SELECT 1")
                await asyncio.sleep(0.6)
                await conn.execute("SELECT 1")

        with pytest.raises(Exception) as ended:  # noqa: PT011 - the class varies with timing
            await idle_then_continue()
        assert transient(ended.value) is not None, repr(ended.value)
        assert await db.fetchval("SELECT 1") == 1  # the pool replaced the ended connection
    finally:
        await db.close()


async def test_connections_go_to_those_who_asked_first(database_url: str) -> None:
    """Many short users of few connections, arriving all the time: each is served in the
    order it asked. asyncpg's queue lets a newcomer take a connection released for a
    waiter, which then queues again at the back; some requests waited 30 times the median."""
    db = await create_pool(
        database_url, min_size=2, max_size=2, statement_timeout_ms=0, acquire_timeout=10
    )
    asked: list[int] = []
    served: list[int] = []

    async def use(n: int) -> None:
        asked.append(n)
        async with db.acquire() as conn:
            served.append(n)
            await conn.fetchval("SELECT 1")

    try:
        running: list[asyncio.Task[None]] = []
        for n in range(200):  # a newcomer every turn of the loop, while others wait
            running.append(asyncio.create_task(use(n)))
            await asyncio.sleep(0)
        await asyncio.gather(*running)
        assert served == asked
    finally:
        await db.close()


async def test_a_released_connection_goes_back_as_it_was_taken(database_url: str) -> None:
    """A use that ends cleanly, one that leaves a transaction open and one cancelled in the
    middle of a statement each give the one connection back: the next use gets it, outside
    any transaction, and the handle the finished use held no longer works."""
    db = await create_pool(
        database_url, min_size=1, max_size=1, statement_timeout_ms=0, acquire_timeout=5
    )
    try:
        async with db.acquire() as conn:
            backend = await conn.fetchval("SELECT pg_backend_pid()")
            held = conn
        with pytest.raises(asyncpg.InterfaceError):
            await held.fetchval("SELECT 1")
        assert db.pool.get_idle_size() == 1

        async with db.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("SET LOCAL statement_timeout = 4321")
        async with db.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SHOW statement_timeout") == "0"
            assert await conn.fetchval("SELECT pg_backend_pid()") == backend

        async def sleeping() -> None:
            async with db.acquire() as conn:
                await conn.execute("SELECT pg_sleep(5)")

        await cancel_halfway_then_read(db, sleeping())
        assert db.pool.get_idle_size() == 1
    finally:
        await db.close()


async def test_a_connection_lost_while_free_is_replaced_when_taken(database_url: str) -> None:
    """A free connection the server ended is not handed out: the use that takes it gets a
    new one (asyncpg reconnects it), and the pool goes on."""
    db = await create_pool(
        database_url, min_size=1, max_size=1, statement_timeout_ms=0, acquire_timeout=5
    )
    try:
        first = await db.fetchval("SELECT pg_backend_pid()")
        other = await asyncpg.connect(database_url)
        try:
            assert await other.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await other.close()
        for _ in range(100):  # until the client has seen the connection end
            con = db.pool._holders[0]._con  # type: ignore[attr-defined]
            if con is None or con.is_closed():
                break
            await asyncio.sleep(0.02)
        again = await db.fetchval("SELECT pg_backend_pid()")
        assert again != first
        assert await db.fetchval("SELECT pg_backend_pid()") == again
        assert db.pool.get_idle_size() == 1
    finally:
        await db.close()


@pytest.mark.parametrize("logged", [False, True], ids=["released-in-place", "released-by-asyncpg"])
async def test_a_lone_statement_gives_back_its_turn_and_connection_however_it_ends(
    database_url: str, logged: bool
) -> None:
    """A statement that fails, one cancelled in the middle and one that opens the pool's
    first connection each leave the one turn and connection free for the next, whether the
    release is done in place or, with a query logger, by asyncpg; each use counts once."""
    db = await create_pool(
        database_url,
        min_size=0,
        max_size=1,
        statement_timeout_ms=0,
        acquire_timeout=1,
        query_logger=(lambda _: None) if logged else None,
    )
    try:
        assert await db.fetchval("SELECT 1") == 1  # no connection was open: asyncpg opens it
        with pytest.raises(asyncpg.DivisionByZeroError):
            await db.fetchval("SELECT 1 / 0")
        await cancel_halfway_then_read(db, db.execute("SELECT pg_sleep(5)"))
        async with db.acquire() as conn:
            assert await conn.fetchval("SELECT 3") == 3
        assert db.waiting == 0
        assert db.pool.get_idle_size() == 1
        assert db.acquisitions == 5
    finally:
        await db.close()


async def test_a_connection_that_cannot_be_opened_gives_its_turn_back(server_url: str) -> None:
    """While the database refuses connections, a lone statement and a use through `acquire`
    fail; once it accepts them again, the one turn is free: nothing waits for it."""
    async with scratch_database(server_url, prefix="sf_refusing") as url:
        name = url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(server_url)
        db = await create_pool(
            url, min_size=0, max_size=1, statement_timeout_ms=0, acquire_timeout=1
        )
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            with pytest.raises(asyncpg.PostgresError):
                await db.fetchval("SELECT 1")
            with pytest.raises(asyncpg.PostgresError):
                async with db.acquire():
                    pass
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert await db.fetchval("SELECT 1") == 1
            async with db.acquire() as conn:
                assert await conn.fetchval("SELECT 2") == 2
            assert db.waiting == 0
        finally:
            await db.close()
            await admin.close()
