"""The connection pool and the few session settings every connection gets."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from sql.errors import StatementTimedOut
from sql.named import PooledNamedStatements
from sql.observe import ObservedConnection, sink
from sql.pool_steps import acquired_at_once, keep_session, released_at_once
from sql.read_methods import ReadMethods
from sql.unnamed import UnnamedStatements, unsynced

if TYPE_CHECKING:
    from sql.read_once import ReadOnce

Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
"""One connection: a direct one, or one borrowed from the pool."""


class Database(ReadMethods):
    """The pool, with a bound on how long a statement may wait for a free connection, and
    connections handed out in the order they were asked for.

    asyncpg's own `Pool.fetch` waits for a connection as long as it takes; under load that
    turns into requests that hang. Here every use waits at most `acquire_timeout` seconds
    and then fails with `asyncio.TimeoutError`, which callers can report as retryable.

    The pool's queue lets a newcomer take a connection released for a waiter, which then
    queues again at the back: with 64 requests on 10 connections a few waited a hundred
    times longer than the rest. A fair semaphore of the pool's size in front of it serves
    waiters first come, first served, so the pool itself never has anyone waiting.

    Behind a pooler in transaction mode (`begin` given) nothing may stay on a connection
    between transactions, so the server's timeouts cannot be session settings: a transaction
    opens with `begin` (BEGIN and its SET LOCALs, one round trip; with unnamed statements
    `opening`, the same sent with the transaction's first statement: no round trip of its
    own), and a lone statement is bounded by the client (`statement_timeout`, seconds),
    which cancels it on the server.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        acquire_timeout: float,
        begin: str | None = None,
        opening: bytes | None = None,
        statement_timeout: float | None = None,
    ) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout
        self.begin = begin
        self.opening = opening  # `begin` as sent with a transaction's first statement
        self.statement_timeout = statement_timeout
        self._turns = asyncio.Semaphore(pool.get_max_size())  # first come, first served
        self.acquisitions = 0  # turns taken, waited for or not (for metrics)

    @property
    def waiting(self) -> int:
        """Uses waiting in line for a connection now."""
        return len(self._turns._waiters or ())

    def acquire(self) -> _Acquire:
        """`async with db.acquire() as conn:` one connection, within the timeout."""
        return _Acquire(self)

    async def execute(self, query: str, *args: Any) -> str:
        status: str = await self._alone("execute", query, args)
        return status

    async def _alone(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        """One statement on a connection of its own; bounded by the client only behind a
        transaction pooler (elsewhere the session's statement_timeout bounds it). With a
        turn and a connection free, both are taken and given back by `acquire`'s own steps,
        without its context object and the three coroutines it runs."""
        proxy = self._take_at_once()
        if proxy is None:
            async with self.acquire() as conn:
                return await self._on(conn._con, method, query, args)
        try:
            if method == "fetch" and self.statement_timeout is None:  # `_on`'s, without it
                return await proxy._con._execute(query, args, 0, None)
            return await self._on(proxy._con, method, query, args)
        finally:
            if (releasing := self._give_back(proxy)) is not None:
                await releasing

    def _take_at_once(self) -> Any:
        """A free turn and a ready connection, taken together without awaiting anything:
        the pool's proxy of the connection, or None with nothing taken (`acquire` waits)."""
        turns = self._turns
        if turns._value <= 0 or turns._waiters:  # stricter than `locked()`: any waiter waits
            return None
        turns._value -= 1  # what `acquire()` does with a free turn, without its coroutine
        try:
            proxy = acquired_at_once(self.pool)
        except BaseException:
            turns.release()
            raise
        if proxy is None:  # none ready: asyncpg opens or waits for one
            turns.release()
            return None
        self.acquisitions += 1
        return proxy

    def _give_back(self, proxy: Any) -> Coroutine[Any, Any, None] | None:
        """Gives a connection and its turn back at once (None) when the connection is in
        its usual state; else the coroutine to await, which releases it through asyncpg and
        then gives the turn back, however the release ends."""
        turns = self._turns
        try:
            if released_at_once(self.pool, proxy):
                turns.release()
                return None
        except BaseException:
            turns.release()
            raise
        return self._released_later(proxy)

    async def _released_later(self, proxy: Any) -> None:
        try:
            await self.pool.release(proxy)
        finally:
            self._turns.release()

    async def _on(self, con: Any, method: str, query: str, args: tuple[Any, ...]) -> Any:
        """The statement on the connection (its own, not the pool's proxy of it: held here
        throughout). A fetch goes straight to the step every read method takes
        (`Connection.fetch` is that step and a check that the connection is open, which
        it was taken so)."""
        timeout = self.statement_timeout
        try:
            if method == "fetch":
                return await con._execute(query, args, 0, timeout)
            if timeout is None:
                return await getattr(con, method)(query, *args)
            return await getattr(con, method)(query, *args, timeout=timeout)
        except TimeoutError as error:
            # Reported as the statement's timeout, not as a wait for a connection (which
            # stays TimeoutError: the database is unavailable, not slow). asyncpg's own
            # timeout carries no errno; a socket's ETIMEDOUT is a lost connection.
            if timeout is not None and error.errno is None:
                raise StatementTimedOut("the statement ran over its timeout") from None
            raise

    _run = _alone  # how reads run (`ReplicaReads` sends them elsewhere; writes stay here)

    async def close(self) -> None:
        await self.pool.close()


class _Acquire:
    """One turn at the pool: a place in line, then a connection, both within the timeout."""

    __slots__ = ("_db", "_proxy")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._proxy: Any = None

    async def __aenter__(self) -> Any:
        db = self._db
        self._proxy = db._take_at_once()
        if self._proxy is not None:
            return self._proxy
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
            # `Pool.acquire()`'s own step, without the context object it wraps it in.
            pool = db.pool
            self._proxy = acquired_at_once(pool) or await pool._acquire(None)  # type: ignore[attr-defined]
            return self._proxy
        except BaseException:
            db._turns.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        if (releasing := self._db._give_back(self._proxy)) is not None:
            await releasing


Executor: TypeAlias = "Connection | Database | ReadOnce"
"""Anything query functions run on: the pool or one request's reads of it (reads), or a
transaction's connection (writes)."""


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
    transaction_pooler: bool = False,
    prepared_statements: bool = False,
) -> Database:
    """The pool. Every limit that keeps a request from hanging on the database is set here:
    statements, lock waits and idle transactions end with an error on the server side
    (0 turns one off), and opening a connection gives up after `acquire_timeout` seconds,
    so asyncpg's background refill of `min_size` connections after an outage never holds
    a connection slot for long.

    `transaction_pooler`: `dsn` is a pooler in transaction mode, whose server connections
    change hands after every transaction. The timeouts are then set per transaction and per
    statement (see `Database`); the time zone and application name stay startup parameters,
    which PgBouncer tracks and sets on each server connection it hands over. Without
    `prepared_statements` (a pooler that cannot keep them, e.g. PgBouncer before 1.21)
    no statement is named: each is parsed again with its execution."""

    async def init(conn: asyncpg.Connection) -> None:
        if query_logger is not None:
            conn.add_query_logger(query_logger)

    timeouts = {
        "statement_timeout": statement_timeout_ms,
        "lock_timeout": lock_timeout_ms,
        "idle_in_transaction_session_timeout": idle_in_transaction_timeout_ms,
    }
    server_settings = {"application_name": application_name, "timezone": "UTC"}
    if not transaction_pooler:
        server_settings.update((name, str(value)) for name, value in timeouts.items())
    else:
        # asyncpg asks for client_encoding 'utf-8' (quotes included); the server reports
        # UTF8, so PgBouncer, comparing the two as text, sent a SET before every transaction
        # (a round trip to the server each time). A later parameter of the same name wins.
        server_settings["client_encoding"] = "UTF8"
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init,
        reset=keep_session,
        timeout=acquire_timeout,
        server_settings=server_settings,
        **_statements(transaction_pooler=transaction_pooler, named=prepared_statements),
    )
    assert pool is not None  # create_pool returns None only when awaited without init
    if not transaction_pooler:
        return Database(pool, acquire_timeout=acquire_timeout)
    # Integers from the settings: the text never varies between transactions.
    opening = ["BEGIN"] + [f"SET LOCAL {name} = {int(value)}" for name, value in timeouts.items()]
    return Database(
        pool,
        acquire_timeout=acquire_timeout,
        begin="; ".join(opening),
        opening=None if prepared_statements else unsynced(opening),
        statement_timeout=statement_timeout_ms / 1000 if statement_timeout_ms else None,
    )


def _statements(*, transaction_pooler: bool, named: bool) -> dict[str, Any]:
    """asyncpg's named, cached statements; behind a transaction pooler that keeps them, the
    same, prepared afresh after a schema change (`sql.named`); behind one that cannot keep
    them, unnamed statements described once per connection (`sql.unnamed`)."""
    if not transaction_pooler:
        return {"connection_class": ObservedConnection}
    if named:
        return {"connection_class": PooledNamedStatements.for_pool()}
    return {"statement_cache_size": 0, "connection_class": UnnamedStatements}


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
