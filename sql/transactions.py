"""Transactions for writes, with known constraint violations translated on the way out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from sql.errors import translate
from sql.pool import Connection, Database
from sql.replicas import WritePosition


@contextlib.asynccontextmanager
async def transaction(
    db: Database, *, position: WritePosition | None = None
) -> AsyncIterator[Connection]:
    """One connection in one transaction: committed when the block ends, rolled back when it
    raises. A violation of a constraint in `sql.errors.CONSTRAINTS` leaves as
    `ConstraintViolation`; anything else leaves unchanged. `position` records where the
    WAL stood after the commit (what a replica must have replayed to show this write)."""
    async with db.acquire() as conn:
        try:
            if db.begin is None:
                async with conn.transaction():
                    yield conn
            else:
                async with _begun(conn, db.begin):
                    yield conn
            if position is not None:
                await position.record(conn)
        except asyncpg.IntegrityConstraintViolationError as error:
            violation = translate(error)
            if violation is None:
                raise
            raise violation from error


@contextlib.asynccontextmanager
async def _begun(conn: Connection, begin: str) -> AsyncIterator[None]:
    """A transaction opened by `begin` (BEGIN with its SET LOCALs, in one round trip).
    A rollback that cannot run (the connection is lost or still busy with a cancelled
    statement) is left to the pool, which rolls back whatever it gets back open."""
    await conn.execute(begin)
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
