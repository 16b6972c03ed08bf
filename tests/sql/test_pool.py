"""The pool wrapper: statements wait a bounded time for a connection."""

from __future__ import annotations

import asyncio
import time

import pytest

from sql.pool import create_pool


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
