"""`ReadOnce`: each statement of a request once, its rows or its error remembered."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import pytest

from sql.pool import Database, create_pool
from sql.read_once import ReadOnce
from tests import factories


async def test_each_statement_runs_once_with_its_arguments(database_url: str, db: Database) -> None:
    category = await factories.category(db, name="Lighting")
    sent: list[tuple[str, Any]] = []
    pool = await create_pool(
        database_url,
        min_size=1,
        max_size=1,
        statement_timeout_ms=1000,
        query_logger=lambda logged: sent.append((logged.query, logged.args)),
    )
    try:
        reads = ReadOnce(pool)
        by_ids = "SELECT name FROM categories WHERE id = ANY($1::uuid[])"
        first = await reads.fetch(by_ids, [category])
        again = await reads.fetch(by_ids, [category])
        other = await reads.fetch(by_ids, [UUID(int=1)])
        assert [r["name"] for r in first] == [r["name"] for r in again] == ["Lighting"]
        assert other == []
        assert await reads.fetchval("SELECT $1::int + 1", 1) == 2
        assert await reads.fetchval("SELECT $1::int + 1", 1) == 2
        assert await reads.fetchval("SELECT $1::int + 1", 2) == 3
        row = await reads.fetchrow("SELECT 'x' AS v")
        assert row is not None
        assert row["v"] == "x"
        ours = [q for q, _ in sent if "pg_catalog" not in q and "'jit'" not in q]  # not asyncpg's
        assert len(ours) == 5, ours  # two statements with two argument sets each, and one more
    finally:
        await pool.close()


async def test_a_failed_statement_raises_again_without_running(database_url: str) -> None:
    sent: list[str] = []
    pool = await create_pool(
        database_url,
        min_size=1,
        max_size=1,
        statement_timeout_ms=100,
        query_logger=lambda logged: sent.append(logged.query),
    )
    try:
        reads = ReadOnce(pool)
        for _ in range(2):
            with pytest.raises(asyncpg.QueryCanceledError):
                await reads.fetchval("SELECT pg_sleep(1)")
        assert sent == ["SELECT pg_sleep(1)"]
    finally:
        await pool.close()
