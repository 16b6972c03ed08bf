"""`ReadOnce`: each statement of a request once, its rows or its error remembered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from sql.pool import Database, create_pool
from sql.read_once import ReadOnce, reads_here, whole_read_failed
from tests import factories


@contextlib.asynccontextmanager
async def logged_pool(
    database_url: str, *, max_size: int, timeout_ms: int
) -> AsyncIterator[tuple[Database, list[str]]]:
    """A pool, and the text of every statement it sends."""
    sent: list[str] = []
    pool = await create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        statement_timeout_ms=timeout_ms,
        query_logger=lambda logged: sent.append(logged.query),
    )
    try:
        yield pool, sent
    finally:
        await pool.close()


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
    async with logged_pool(database_url, max_size=1, timeout_ms=100) as (pool, sent):
        reads = ReadOnce(pool)
        for _ in range(2):
            with pytest.raises(asyncpg.QueryCanceledError):
                await reads.fetchval("SELECT pg_sleep(1)")
        assert sent == ["SELECT pg_sleep(1)"]


async def test_identical_reads_in_flight_share_one_statement(database_url: str) -> None:
    async with logged_pool(database_url, max_size=4, timeout_ms=5000) as (pool, sent):
        reads = ReadOnce(pool)
        slow = "SELECT pg_sleep(0.2)::text || $1::text"
        answers = await asyncio.gather(
            *(reads.fetchval(slow, "a") for _ in range(5)), reads.fetchval(slow, "b")
        )
        assert answers == ["a"] * 5 + ["b"]
        assert sorted(q for q in sent if q == slow) == [slow, slow]  # one per argument set


async def test_a_shared_read_outlives_a_cancelled_waiter(database_url: str) -> None:
    async with logged_pool(database_url, max_size=2, timeout_ms=5000) as (pool, sent):
        reads = ReadOnce(pool)
        slow = "SELECT 'done' FROM pg_sleep(0.3)"
        first = asyncio.ensure_future(reads.fetchval(slow))
        second = asyncio.ensure_future(reads.fetchval(slow))
        await asyncio.sleep(0.1)
        first.cancel()
        assert await second == "done"
        assert first.cancelled()
        assert [q for q in sent if q == slow] == [slow]


async def test_a_read_every_waiter_left_is_stopped_and_not_remembered(database_url: str) -> None:
    # The statement timeout outlasts the wait for the statement to stop, so only a cancel
    # can stop it in time.
    pool = await create_pool(database_url, min_size=1, max_size=2, statement_timeout_ms=60_000)
    try:
        reads = ReadOnce(pool)
        # Each run of the statement adds a row, so a second run shows in the count. It sleeps
        # far longer than any wait here until `read_once_fast` has a row, so a loaded machine
        # cannot let it commit before the cancel lands.
        await pool.execute("DROP TABLE IF EXISTS read_once_runs, read_once_fast")
        await pool.execute("CREATE TABLE read_once_runs (n int)")
        await pool.execute("CREATE TABLE read_once_fast (n int)")
        slow = (
            "WITH r AS (INSERT INTO read_once_runs VALUES (1) RETURNING n) SELECT count(*), "
            "pg_sleep(CASE WHEN EXISTS (SELECT FROM read_once_fast) THEN 0 ELSE 30 END) FROM r"
        )
        waiters = [asyncio.ensure_future(reads.fetchval(slow)) for _ in range(2)]
        await asyncio.sleep(0.2)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        assert await _settles(pool), "the abandoned statement still runs"  # stopped
        assert await pool.fetchval("SELECT count(*) FROM read_once_runs") == 0
        await pool.execute("INSERT INTO read_once_fast VALUES (1)")
        assert await reads.fetchval(slow) == 1  # not remembered: run again, to its end
        assert await pool.fetchval("SELECT count(*) FROM read_once_runs") == 1
    finally:
        await pool.execute("DROP TABLE IF EXISTS read_once_runs, read_once_fast")
        await pool.close()


async def _settles(pool: Any) -> bool:
    """Whether no other backend is still running the test's insert within ten seconds."""
    for _ in range(200):
        running = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
            " AND pid <> pg_backend_pid() AND query LIKE '%INTO read_once_runs VALUES%'"
        )
        if not running:
            return True
        await asyncio.sleep(0.05)
    return False


async def _read_here(reads: ReadOnce, query: str) -> Any:
    """`query` read by a task that runs its reads itself (a loader's batch)."""
    reads_here.set(True)  # this task's own context
    return await reads.fetchval(query)


SLOW = "SELECT 'done' FROM pg_sleep(0.2)"


async def _reader_and_joiner(
    reads: ReadOnce, query: str
) -> tuple[asyncio.Future[Any], asyncio.Future[Any]]:
    """A task reading `query` itself, and one that joins its read while it runs."""
    reader = asyncio.ensure_future(_read_here(reads, query))
    await asyncio.sleep(0.05)
    joiner = asyncio.ensure_future(reads.fetchval(query))
    await asyncio.sleep(0.05)
    return reader, joiner


async def test_a_read_run_in_its_readers_task_is_shared_and_remembered(database_url: str) -> None:
    async with logged_pool(database_url, max_size=2, timeout_ms=5000) as (pool, sent):
        reads = ReadOnce(pool)
        owner, joiner = await _reader_and_joiner(reads, SLOW)
        joiner.cancel()  # leaves the read to its reader
        assert await owner == "done"
        assert joiner.cancelled()
        assert await reads.fetchval(SLOW) == "done"
        assert await _read_here(reads, SLOW) == "done"
        assert [q for q in sent if q == SLOW] == [SLOW]
        failing = "SELECT 1 / 0"
        for _ in range(2):
            with pytest.raises(asyncpg.DivisionByZeroError):
                await _read_here(reads, failing)
        assert [q for q in sent if q == failing] == [failing]


async def test_a_joiner_reads_again_when_the_reader_is_stopped(database_url: str) -> None:
    async with logged_pool(database_url, max_size=2, timeout_ms=5000) as (pool, sent):
        reads = ReadOnce(pool)
        owner, joiner = await _reader_and_joiner(reads, SLOW)
        owner.cancel()
        async with asyncio.timeout(5):
            assert await joiner == "done"  # not the reader's cancellation
        assert owner.cancelled()
        assert [q for q in sent if q == SLOW] == [SLOW, SLOW]


async def test_a_joiner_that_once_went_on_after_a_cancellation_still_reads_again(
    database_url: str,
) -> None:
    """A cancellation the joiner caught earlier (and went on from) is not this wait's: when
    the reader is stopped, the joiner reads again rather than raising it."""
    async with logged_pool(database_url, max_size=2, timeout_ms=5000) as (pool, sent):
        reads = ReadOnce(pool)

        async def joiner() -> Any:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(10)
            return await reads.fetchval(SLOW)

        reader = asyncio.ensure_future(_read_here(reads, SLOW))
        await asyncio.sleep(0.05)
        joining = asyncio.ensure_future(joiner())
        await asyncio.sleep(0)
        joining.cancel()  # caught inside, before it joins
        await asyncio.sleep(0.05)
        reader.cancel()
        async with asyncio.timeout(5):
            assert await joining == "done"
        assert [q for q in sent if q == SLOW] == [SLOW, SLOW]


async def test_a_timeout_leaving_columns_out_stands_for_the_whole_read_and_nothing_else(
    database_url: str,
) -> None:
    whole = "SELECT $1::int AS v, 'whole' AS w"
    async with logged_pool(database_url, max_size=2, timeout_ms=1000) as (pool, sent):
        timed_out = ReadOnce(pool)
        whole_read_failed(timed_out, asyncpg.QueryCanceledError("timeout"), whole, 1)
        with pytest.raises(asyncpg.QueryCanceledError):
            await timed_out.fetch(whole, 1)
        assert sent == []  # remembered as failed: not sent
        assert [r["v"] for r in await timed_out.fetch(whole, 2)] == [2]  # other arguments run
        lost = ReadOnce(pool)
        whole_read_failed(lost, ConnectionResetError("gone"), whole, 1)
        assert [r["v"] for r in await lost.fetch(whole, 1)] == [1]  # the next connection may do
        running = ReadOnce(pool)
        slow = "SELECT $1::int AS v, pg_sleep(0.2) IS NULL AS w"
        first = asyncio.ensure_future(running.fetch(slow, 1))
        await asyncio.sleep(0.05)  # under way
        whole_read_failed(running, asyncpg.QueryCanceledError("timeout"), slow, 1)
        assert [r["v"] for r in await running.fetch(slow, 1)] == [1]
        assert [r["v"] for r in await first] == [1]
