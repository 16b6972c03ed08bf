"""The connection pool and the few session settings every connection gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
"""One connection: a direct one, or one borrowed from the pool."""

Executor = Connection | asyncpg.Pool
"""Anything query functions run on: the pool (reads) or a transaction's connection (writes)."""


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
    application_name: str = "storefront",
    query_logger: QueryLogger | None = None,
) -> asyncpg.Pool:
    async def init(conn: asyncpg.Connection) -> None:
        if query_logger is not None:
            conn.add_query_logger(query_logger)

    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init,
        reset=_keep_session,
        server_settings={
            "application_name": application_name,
            "statement_timeout": str(statement_timeout_ms),
            "timezone": "UTC",
        },
    )
    assert pool is not None  # create_pool returns None only when awaited without init
    return pool


async def ping(executor: Executor) -> bool:
    """True when the database answers."""
    return bool(await executor.fetchval("SELECT true"))
