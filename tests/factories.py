"""Rows for tests, inserted with plain SQL (the write API is not what these tests test)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any, Generic, TypeVar
from uuid import UUID

from sql.pool import Database
from tests.conftest import DOMAIN_TABLES

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
BASE_UUID = UUID(int=42)
_serial = count(1)


async def category(db: Database, name: str | None = None, **extra: Any) -> UUID:
    n = next(_serial)
    return await _insert(db, "categories", {"name": name or f"Category {n}", **extra})


async def product(
    db: Database,
    category_id: UUID,
    name: str | None = None,
    *,
    price: str | Decimal = "10.00",
    stock: int = 10,
    **extra: Any,
) -> UUID:
    n = next(_serial)
    values = {
        "sku": f"SKU-{n:05d}",
        "name": name or f"Product {n}",
        "price": Decimal(price),
        "stock": stock,
        "category_id": category_id,
        **extra,
    }
    return await _insert(db, "products", values)


async def customer(db: Database, name: str | None = None, **extra: Any) -> UUID:
    n = next(_serial)
    values = {"email": f"customer{n}@example.com", "name": name or f"Customer {n}", **extra}
    return await _insert(db, "customers", values)


async def review(db: Database, product: UUID, customer: UUID, **extra: Any) -> UUID:
    values = {"product_id": product, "customer_id": customer, "rating": 4, "title": "Fine", **extra}
    return await _insert(db, "reviews", values)


async def order(
    db: Database,
    customer_id: UUID,
    lines: list[tuple[UUID, int]],
    *,
    status: str = "PENDING",
    placed_at: datetime | None = None,
    **extra: Any,
) -> UUID:
    """An order with lines (product, quantity) at the products' current prices."""
    placed = placed_at or BASE_TIME + timedelta(minutes=next(_serial))
    stamps: dict[str, Any] = {
        "PENDING": {},
        "PAID": {"paid_at": placed},
        "SHIPPED": {"paid_at": placed, "shipped_at": placed},
        "CANCELLED": {"cancelled_at": placed},
    }[status]
    order_id = await _insert(
        db,
        "orders",
        {"customer_id": customer_id, "status": status, "placed_at": placed, **stamps, **extra},
    )
    for position, (product_id, quantity) in enumerate(lines, start=1):
        await db.execute(
            "INSERT INTO order_lines (order_id, position, product_id, quantity, unit_price)"
            " SELECT $1, $2, id, $3, price FROM products WHERE id = $4",
            order_id,
            position,
            quantity,
            product_id,
        )
    await db.execute(
        "UPDATE orders SET total = (SELECT coalesce(sum(quantity * unit_price), 0)"
        " FROM order_lines WHERE order_id = $1) WHERE id = $1",
        order_id,
    )
    return order_id


async def line_ids(db: Database, order_id: UUID) -> list[UUID]:
    """The order's lines, in their position order."""
    return [
        r["id"]
        for r in await db.fetch(
            "SELECT id FROM order_lines WHERE order_id = $1 ORDER BY position", order_id
        )
    ]


async def soft_delete(db: Database, table: str, id: UUID) -> None:
    assert table in ("customers", "categories", "products", "orders")
    await db.execute(f"UPDATE {table} SET deleted_at = now() WHERE id = $1", id)


async def fingerprint(db: Database) -> str:
    """A digest of every row of every domain table, in one statement: equal digests, equal
    data (a cheaper `snapshot` for telling whether anything changed)."""
    rows = " UNION ALL ".join(
        f"SELECT '{t}:' || t::text AS row FROM {t} AS t" for t in DOMAIN_TABLES
    )
    digest: str = await db.fetchval(
        f"SELECT md5(coalesce(string_agg(row, '|' ORDER BY row), '')) FROM ({rows}) AS r"
    )
    return digest


async def empty(db: Database) -> None:
    """Every domain table emptied and order numbers restarted, as the `db` fixture does."""
    await db.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")


async def _insert(db: Database, table: str, values: dict[str, Any]) -> UUID:
    names = ", ".join(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row_id: UUID = await db.fetchval(
        f"INSERT INTO {table} ({names}) VALUES ({placeholders}) RETURNING id", *values.values()
    )
    return row_id


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every domain table, to prove a failed write changed nothing."""
    return {
        table: [tuple(r) for r in await db.fetch(f"SELECT * FROM {table} ORDER BY 1, 2")]
        for table in DOMAIN_TABLES
    }


Built = TypeVar("Built")


class Reused(Generic[Built]):
    """Rows that `build` makes, reused while every domain table is exactly as it left them;
    after anything else (a test that wrote, another module's test) the tables are emptied and
    the rows built again. For tests that only read, or whose failed writes change nothing."""

    def __init__(self, build: Callable[[Database], Awaitable[Built]]) -> None:
        self._build = build
        self._last: tuple[Built, str] | None = None

    async def get(self, db: Database) -> Built:
        if self._last is not None and await fingerprint(db) == self._last[1]:
            return self._last[0]
        await empty(db)
        built = await self._build(db)
        self._last = (built, await fingerprint(db))
        return built
