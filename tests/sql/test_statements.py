"""A statement asyncpg has prepared and cached runs straight through its protocol
(`sql.observe.ObservedConnection`), with asyncpg's own handling of what can happen to a
cached statement. These tests hold that private path to asyncpg's behaviour: should a
new asyncpg keep its statements otherwise, the first one fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from sql.observe import sink
from sql.pool import Database, create_pool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Database]:
    db = await create_pool(database_url, min_size=1, max_size=1, statement_timeout_ms=0)
    async with db.acquire() as conn:
        await conn.execute("DROP TABLE IF EXISTS shelf")
        await conn.execute("CREATE TABLE shelf (id int PRIMARY KEY, label text NOT NULL)")
        await conn.execute("INSERT INTO shelf VALUES (1, 'one'), (2, 'two')")
    try:
        yield db
    finally:
        async with db.acquire() as conn:
            await conn.execute("DROP TABLE shelf")
        await db.close()


SELECT = "SELECT * FROM shelf WHERE id = ANY($1::int[]) ORDER BY id"


async def test_a_cached_statement_skips_asyncpgs_statement_lookup(
    pool: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [tuple(r) for r in await pool.fetch(SELECT, [1, 2])] == [(1, "one"), (2, "two")]
    looked_up: list[str] = []
    do_execute = asyncpg.Connection._do_execute  # type: ignore[attr-defined]

    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(query)
        return await do_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "_do_execute", counted)
    assert [tuple(r) for r in await pool.fetch(SELECT, [2])] == [(2, "two")]
    assert tuple(await pool.fetchrow(SELECT, [1]) or ()) == (1, "one")
    async with pool.acquire() as conn, conn.transaction():
        assert await conn.fetchval(SELECT, [2], column=1) == "two"
    assert looked_up == []
    other = "SELECT label FROM shelf WHERE id = $1"
    assert await pool.fetchval(other, 1) == "one"  # prepared by asyncpg, then cached
    assert await pool.fetchval(other, 2) == "two"
    assert looked_up == [other]


async def test_a_cached_statement_whose_result_changed_is_prepared_again(pool: Database) -> None:
    """PostgreSQL refuses a prepared statement whose result type changed (a column
    added under `*`); outside a transaction the read is prepared again and runs once
    more, as asyncpg does."""
    assert [tuple(r) for r in await pool.fetch(SELECT, [1])] == [(1, "one")]
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE shelf ADD COLUMN shelved boolean NOT NULL DEFAULT true")
    assert [tuple(r) for r in await pool.fetch(SELECT, [1])] == [(1, "one", True)]


async def test_inside_a_transaction_the_changed_statement_fails(pool: Database) -> None:
    async with pool.acquire() as conn:
        assert len(await conn.fetch(SELECT, [1])) == 1
        await conn.execute("ALTER TABLE shelf ADD COLUMN shelved boolean NOT NULL DEFAULT true")
        with pytest.raises(asyncpg.exceptions.InvalidCachedStatementError):
            async with conn.transaction():
                await conn.fetch(SELECT, [1])
        assert [tuple(r) for r in await conn.fetch(SELECT, [1])] == [(1, "one", True)]


async def test_the_statement_is_noted_for_whoever_watches(pool: Database) -> None:
    class Notes:
        def __init__(self) -> None:
            self.statements: list[tuple[str, int, BaseException | None]] = []

        def statement(
            self, query: str, started: int, ended: int, rows: int, error: BaseException | None
        ) -> None:
            assert started <= ended
            self.statements.append((query, rows, error))

    await pool.fetch(SELECT, [1])  # cached from here on
    notes = Notes()
    token = sink.set(notes)  # type: ignore[arg-type]
    try:
        await pool.fetch(SELECT, [1, 2])
        with pytest.raises(asyncpg.exceptions.DataError):
            await pool.fetch(SELECT, [1, "two"])
    finally:
        sink.reset(token)
    assert notes.statements[0] == (SELECT, 2, None)
    assert notes.statements[1][0] == SELECT
    assert isinstance(notes.statements[1][2], asyncpg.exceptions.DataError)
