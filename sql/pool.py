"""The connection pool and the few session settings every connection gets."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from sql.observe import ObservedConnection, sink

if TYPE_CHECKING:
    from sql.read_once import ReadOnce

Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
"""One connection: a direct one, or one borrowed from the pool."""


class Database:
    """The pool, with a bound on how long a statement may wait for a free connection, and
    connections handed out in the order they were asked for.

    asyncpg's own `Pool.fetch` waits for a connection as long as it takes; under load that
    turns into requests that hang. Here every use waits at most `acquire_timeout` seconds
    and then fails with `asyncio.TimeoutError`, which callers can report as retryable.

    The pool's queue lets a newcomer take a connection released for a waiter, which then
    queues again at the back: with 64 requests on 10 connections a few waited a hundred
    times longer than the rest. A fair semaphore of the pool's size in front of it serves
    waiters first come, first served, so the pool itself never has anyone waiting.
    """

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout
        self._turns = asyncio.Semaphore(pool.get_max_size())
        self.acquisitions = 0  # turns taken, waited for or not (for metrics)

    @property
    def waiting(self) -> int:
        """Uses waiting in line for a connection now."""
        return len(self._turns._waiters or ())

    def acquire(self) -> _Acquire:
        """`async with db.acquire() as conn:` one connection, within the timeout."""
        return _Acquire(self)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.acquire() as conn:
            records: list[asyncpg.Record] = await conn.fetch(query, *args)
            return records

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        async with self.acquire() as conn:
            record: asyncpg.Record | None = await conn.fetchrow(query, *args)
            return record

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.acquire() as conn:
            return await conn.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        async with self.acquire() as conn:
            status: str = await conn.execute(query, *args)
            return status

    async def close(self) -> None:
        await self.pool.close()


class _Acquire:
    """One turn at the pool: a place in line, then a connection, both within the timeout."""

    __slots__ = ("_db", "_pooled")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pooled: Any = None

    async def __aenter__(self) -> Any:
        db = self._db
        db.acquisitions += 1
        if db._turns.locked():  # wait in line, within the timeout
            since = time.perf_counter()
            async with asyncio.timeout(db.acquire_timeout):
                await db._turns.acquire()
            if (recorder := sink.get()) is not None:
                recorder.waited(time.perf_counter() - since)
        else:  # a turn is free and taken at once: no timer to set and cancel
            await db._turns.acquire()
        try:
            # A turn means a connection is free (or being opened, within the connect
            # timeout): no second timeout, whose task would cost more than the wait.
            self._pooled = db.pool.acquire()
            return await self._pooled.__aenter__()
        except BaseException:
            db._turns.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._pooled.__aexit__(*exc)
        finally:
            self._db._turns.release()


Executor: TypeAlias = "Connection | Database | ReadOnce"
"""Anything query functions run on: the pool or one request's reads of it (reads), or a
transaction's connection (writes)."""


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset: it costs a round trip per pool use, and our
    connections hold no session state (no LISTEN, no SET, no session advisory locks)."""


QueryLogger = Callable[[Any], None]
"""Called with asyncpg's `LoggedQuery` after every statement (tests count statements)."""


async def create_pool(
    dsn: str,
    *,
    min_size: int,
    max_size: int,
    statement_timeout_ms: int,
    lock_timeout_ms: int = 2000,
    idle_in_transaction_timeout_ms: int = 10000,
    application_name: str = "storefront",
    acquire_timeout: float = 2.0,
    query_logger: QueryLogger | None = None,
) -> Database:
    """The pool. Every limit that keeps a request from hanging on the database is set here:
    statements, lock waits and idle transactions end with an error on the server side
    (0 turns one off), and opening a connection gives up after `acquire_timeout` seconds,
    so asyncpg's background refill of `min_size` connections after an outage never holds
    a connection slot for long."""

    async def init(conn: asyncpg.Connection) -> None:
        if query_logger is not None:
            conn.add_query_logger(query_logger)

    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init,
        connection_class=ObservedConnection,
        reset=_keep_session,
        timeout=acquire_timeout,
        server_settings={
            "application_name": application_name,
            "statement_timeout": str(statement_timeout_ms),
            "lock_timeout": str(lock_timeout_ms),
            "idle_in_transaction_session_timeout": str(idle_in_transaction_timeout_ms),
            "timezone": "UTC",
        },
    )
    assert pool is not None  # create_pool returns None only when awaited without init
    return Database(pool, acquire_timeout=acquire_timeout)


@contextlib.asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection of its own, outside any pool, for commands (migrate, seed)."""
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def ping(executor: Executor) -> bool:
    """True when the database answers."""
    return bool(await executor.fetchval("SELECT true"))
