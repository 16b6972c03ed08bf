"""Transactions for writes, with known constraint violations translated on the way out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import cast

import asyncpg

from sql.errors import translate
from sql.pool import Connection, Database
from sql.replicas import WritePosition
from sql.unnamed import UnnamedStatements


@contextlib.asynccontextmanager
async def transaction(
    db: Database, *, position: WritePosition | None = None
) -> AsyncIterator[Connection]:
    """One connection in one transaction: committed when the block ends, rolled back when it
    raises. A violation of a constraint in `sql.errors.CONSTRAINTS` leaves as
    `ConstraintViolation`; anything else leaves unchanged. `position` records where the
    WAL stood after the commit (what a replica must have replayed to show this write),
    read in the same round trip as the COMMIT."""
    async with db.acquire() as conn:
        try:
            if db.opening is not None:
                async with _opened_late(cast(UnnamedStatements, conn), db.opening, position):
                    yield conn
            elif db.begin is None and position is None:
                async with conn.transaction():
                    yield conn
            else:
                async with _begun(conn, db.begin or "BEGIN", position):
                    yield conn
        except asyncpg.IntegrityConstraintViolationError as error:
            violation = translate(error)
            if violation is None:
                raise
            raise violation from error


@contextlib.asynccontextmanager
async def _begun(
    conn: Connection, begin: str, position: WritePosition | None
) -> AsyncIterator[None]:
    """A transaction opened by `begin` (BEGIN, with the SET LOCALs behind a pooler, in one
    round trip), committed with its WAL position noted when `position` asks for it.
    A rollback that cannot run (the connection is lost or still busy with a cancelled
    statement) is left to the pool, which rolls back whatever it gets back open."""
    await conn.execute(begin)
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")
        raise
    if position is None:
        await conn.execute("COMMIT")
    else:
        await position.commit(conn)


@contextlib.asynccontextmanager
async def _opened_late(
    conn: UnnamedStatements, opening: bytes, position: WritePosition | None
) -> AsyncIterator[None]:
    """`_begun`, with the opening sent in the packet of the transaction's first statement
    (`sql.unnamed`). A block that ran no statement opened nothing: there is nothing to
    commit or roll back, and no position to note."""
    conn.open_with_next(opening)
    try:
        yield
    except BaseException:
        if not conn.drop_opening():
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
        raise
    if conn.drop_opening():
        return
    if position is None:
        await conn.execute("COMMIT")
    else:
        await position.commit(conn)
