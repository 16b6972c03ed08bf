"""A write's WAL position (read-your-writes) comes back with its COMMIT, in one round trip,
and is never earlier than the commit record."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from sql.observe import Batch, sink
from sql.pool import Database, create_pool
from sql.replicas import COMMIT_NOTING_POSITION, INSERT_POSITION, WritePosition
from sql.transactions import transaction
from tests.conftest import scratch_database


class Statements:
    """The texts of the statements a task sends, as the server's own observer sees them."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def statement(
        self, query: str, started: int, ended: int, rows: int, error: BaseException | None
    ) -> None:
        self.texts.append(query)

    def waited(self, seconds: float) -> None:
        pass

    def batch(self, name: Callable[[], str], keys: int) -> Batch | None:
        return None


@contextlib.contextmanager
def observed() -> Iterator[Statements]:
    """The statements this task sends within the block."""
    statements = Statements()
    token = sink.set(statements)
    try:
        yield statements
    finally:
        sink.reset(token)


async def pools(url: str, pgbouncer_url: str) -> list[Database]:
    direct = await create_pool(url, min_size=1, max_size=1, statement_timeout_ms=5000)
    pooled = await create_pool(
        pgbouncer_url, min_size=1, max_size=1, statement_timeout_ms=5000, transaction_pooler=True
    )
    return [direct, pooled]


async def test_the_position_comes_with_the_commit_and_follows_it(
    direct_database_url: str, pgbouncer_url: str
) -> None:
    for db in await pools(direct_database_url, pgbouncer_url):
        try:
            position = WritePosition()
            with observed() as statements:
                async with transaction(db, position=position) as conn:
                    await conn.execute("CREATE TEMP TABLE scratch (x int) ON COMMIT DROP")
                    await conn.execute("INSERT INTO scratch VALUES (1)")
                    before_commit = int(await conn.fetchval(INSERT_POSITION))
            # The commit record lies past everything the transaction wrote before it.
            assert position.lsn > before_commit
            assert position.lsn <= int(await db.fetchval(INSERT_POSITION))
            assert statements.texts[-2:] == [INSERT_POSITION, COMMIT_NOTING_POSITION]
        finally:
            await db.close()


async def test_without_notices_the_position_is_read_on_its_own(direct_database_url: str) -> None:
    db = await create_pool(direct_database_url, min_size=1, max_size=1, statement_timeout_ms=0)
    try:
        position = WritePosition()
        with observed() as statements:
            async with transaction(db, position=position) as conn:
                # A role that keeps notices from its clients: the notice never arrives.
                await conn.execute("SET client_min_messages = warning")
                before_commit = int(await conn.fetchval(INSERT_POSITION))
                await conn.execute("CREATE TEMP TABLE scratch (x int) ON COMMIT DROP")
        assert position.lsn > before_commit
        assert statements.texts[-2:] == [COMMIT_NOTING_POSITION, INSERT_POSITION]
        assert await db.fetchval("SHOW client_min_messages") == "warning"
    finally:
        await db.close()


@pytest.mark.parametrize("later", [0, 1 << 62])
async def test_a_request_keeps_its_latest_position(direct_database_url: str, later: int) -> None:
    db = await create_pool(direct_database_url, min_size=1, max_size=1, statement_timeout_ms=0)
    try:
        position = WritePosition(lsn=later)
        async with transaction(db, position=position):
            pass
        first = position.lsn
        assert first >= later
        assert first > 0
        async with transaction(db, position=position):
            pass
        assert position.lsn >= first
    finally:
        await db.close()


async def test_a_database_without_the_function_still_commits_and_gets_its_position(
    server_url: str,
) -> None:
    async with scratch_database(server_url, prefix="sf_test_unmigrated") as url:
        db = await create_pool(url, min_size=1, max_size=1, statement_timeout_ms=0)
        try:
            position = WritePosition()
            async with transaction(db, position=position) as conn:
                await conn.execute("CREATE TABLE kept (x int)")
                before_commit = int(await conn.fetchval(INSERT_POSITION))
            assert position.lsn > before_commit
            assert await db.fetchval("SELECT count(*) FROM kept") == 0  # committed
        finally:
            await db.close()
