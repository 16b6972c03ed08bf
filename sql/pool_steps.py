"""asyncpg's pool steps for a connection in its usual state, taken without the coroutines,
tasks and timeout contexts asyncpg wraps them in; any other state goes through asyncpg.
Private to asyncpg, as `sql.observe` is (its version is pinned)."""

from __future__ import annotations

from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy


def acquired_at_once(pool: asyncpg.Pool) -> Any:
    """`pool._acquire(None)` for a connection free in the pool's queue and ready to use (open,
    of the pool's generation, no `setup` to run): asyncpg's steps for it
    (`PoolConnectionHolder.acquire`) in its order, without the four coroutines it awaits
    them through. None when there is none such: the caller then goes through asyncpg (a
    holder taken here that is not ready goes back first, as asyncpg's own failed acquire
    puts it back)."""
    queue = pool._queue  # type: ignore[attr-defined]
    if pool._closing or pool._closed or not pool._initialized or queue.empty():  # type: ignore[attr-defined]
        return None
    holder = queue.get_nowait()
    con = holder._con
    if (
        con is None
        or con.is_closed()
        or holder._generation != pool._generation  # type: ignore[attr-defined]
        or holder._setup is not None
    ):
        queue.put_nowait(holder)
        return None
    if holder._inactive_callback is not None:
        holder._inactive_callback.cancel()
        holder._inactive_callback = None
    holder._proxy = proxy = PoolConnectionProxy(holder, con)
    holder._in_use = pool._loop.create_future()  # type: ignore[attr-defined]
    holder._timeout = None  # what `Pool._acquire(None)` records
    return proxy


def released_at_once(pool: asyncpg.Pool, proxy: Any) -> bool:
    """`pool.release(proxy)`, done here without a task or a wait when none is needed; False
    when the connection must go through `pool.release`. asyncpg runs each release in a task
    of its own (`asyncio.shield`) so that a cancellation cannot stop it halfway, but a
    connection in its usual state (no transaction open, nothing to wait for, no reason to
    close it) is released without waiting on anything, our reset being none
    (`keep_session`): no cancellation can land, and the task cost a tenth of a one-row
    read. asyncpg's own steps for it (`PoolConnectionHolder.release`, the connection's
    `_reset`) are taken in its order, without the coroutines and the timeout context they
    run in. Any other state goes to `pool.release`, and so does a connection with query
    loggers: asyncpg calls them a turn of the loop after each statement, and its task let
    them run before the use ended. Private to asyncpg, as `sql.observe` is (its version is
    pinned)."""
    holder, con = proxy._holder, proxy._con
    if (
        con is None
        or con._query_loggers
        or con.is_closed()
        or con.is_in_transaction()
        or con._top_xact is not None
        or con._protocol._is_cancelling()
        or con._protocol.queries_count >= holder._max_queries
        or holder._generation != pool._generation  # type: ignore[attr-defined]
        or pool._reset is not keep_session  # type: ignore[attr-defined]
    ):
        return False
    con._on_release()
    holder._timeout = None
    con._listeners.clear()
    con._log_listeners.clear()
    holder._release()
    holder._setup_inactive_callback()
    return True


async def keep_session(_conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset: it costs a round trip per pool use, and our
    connections hold no session state (no LISTEN, no SET, no session advisory locks).
    asyncpg still rolls back a transaction left open before calling this."""
