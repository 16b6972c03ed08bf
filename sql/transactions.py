"""Transactions for writes, with known constraint violations translated on the way out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from sql.errors import translate
from sql.pool import Connection, Database


@contextlib.asynccontextmanager
async def transaction(db: Database) -> AsyncIterator[Connection]:
    """One connection in one transaction: committed when the block ends, rolled back when it
    raises. A violation of a constraint in `sql.errors.CONSTRAINTS` leaves as
    `ConstraintViolation`; anything else leaves unchanged."""
    async with db.acquire() as conn:
        try:
            async with conn.transaction():
                yield conn
        except asyncpg.IntegrityConstraintViolationError as error:
            violation = translate(error)
            if violation is None:
                raise
            raise violation from error
