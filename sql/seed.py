"""Loading generated data (`sql.seed_data`) with COPY, every table in one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from sql import seed_data
from sql.pool import Connection, Executor
from sql.seed_data import Scale

__all__ = ["CHUNK_ROWS", "NotEmpty", "Progress", "Scale", "is_empty", "load"]


Progress = Callable[[str, int, int], None]
"""Called with (table, rows done, rows in the table): once with 0 before a table starts, as
rows stream, and with done == total only once the table's COPY has finished."""

CHUNK_ROWS = 5000
"""Rows between progress reports."""

IS_EMPTY = """
SELECT NOT EXISTS (SELECT FROM customers) AND NOT EXISTS (SELECT FROM categories)
   AND NOT EXISTS (SELECT FROM products) AND NOT EXISTS (SELECT FROM orders)
   AND NOT EXISTS (SELECT FROM order_lines)
"""

# CASCADE: tables added later that point at these must not make --truncate fail halfway.
TRUNCATE = "TRUNCATE order_lines, orders, products, categories, customers RESTART IDENTITY CASCADE"

# Numbers were written explicitly, so the sequence never moved: put it past them.
RESTART_ORDER_NUMBERS = """
SELECT setval('orders_number_seq', coalesce(max(number), $1 - 1) + 1, false) FROM orders
"""


class NotEmpty(Exception):
    """The database already holds documents: seeding on top would mix two data sets."""


async def is_empty(executor: Executor) -> bool:
    """True when no domain table holds a row (soft-deleted rows count as rows)."""
    return bool(await executor.fetchval(IS_EMPTY))


async def load(
    conn: Connection,
    *,
    scale: Scale,
    seed: int,
    truncate: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Generates the data for `seed` and `scale` and COPYs it in; returns rows per table.

    All or nothing: one transaction covers the emptiness check (or the TRUNCATE, which takes
    an exclusive lock, so nobody writes in between), every COPY and the sequence reset.
    Raises `NotEmpty` unless the tables are empty or `truncate` is set.
    """
    tables = seed_data.tables(scale, seed=seed)
    counts: dict[str, int] = {}
    async with conn.transaction():
        if truncate:
            await conn.execute(TRUNCATE)
        elif not await is_empty(conn):
            raise NotEmpty("the database already holds documents")
        for table in tables:
            if progress:
                progress(table.name, 0, table.count)
            # One COPY per table, fed by an async generator: Python builds rows while the
            # server consumes the stream, and foreign keys are checked once at its end.
            await conn.copy_records_to_table(
                table.name, columns=table.columns, records=_reported(table, progress)
            )
            counts[table.name] = table.count
            if progress:
                progress(table.name, table.count, table.count)
        await conn.execute(RESTART_ORDER_NUMBERS, seed_data.FIRST_ORDER_NUMBER)
    return counts


async def _reported(
    table: seed_data.Table, progress: Progress | None
) -> AsyncIterator[seed_data.Row]:
    for done, row in enumerate(table.rows, start=1):
        yield row
        # Rows handed to the encoder are not yet stored: 100 % waits for the COPY's end.
        if progress and done % CHUNK_ROWS == 0 and done < table.count:
            progress(table.name, done, table.count)
