"""Queries over orders and their lines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sql.builder import Column, Entity, Relation, SortKey
from sql.customers import CUSTOMERS
from sql.pool import Executor
from sql.rows import columns, to_rows


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: UUID
    rev: int
    number: int
    status: str
    customer_id: UUID
    total: Decimal
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderLineRow:
    id: UUID
    order_id: UUID
    position: int
    product_id: UUID
    quantity: int
    unit_price: Decimal
    created_at: datetime


ORDERS = Entity(
    table="orders",
    row_type=OrderRow,
    filterable={
        "id": Column("id", UUID, "uuid"),
        "number": Column("number", int, "integer"),
        "status": Column("status", str, "order_status"),
        "total": Column("total", Decimal, "numeric"),
        "placed_at": Column("placed_at", datetime, "timestamptz"),
        "customer": Relation(lambda: CUSTOMERS, join="{inner}.id = {outer}.customer_id"),
    },
    sortable={
        "NUMBER": SortKey("{t}.number", int),
        "TOTAL": SortKey("{t}.total", Decimal),
        "PLACED_AT": SortKey("{t}.placed_at", datetime),
        # The enum sorts in its declared order: PENDING, PAID, SHIPPED, CANCELLED.
        "STATUS": SortKey("{t}.status", str),
    },
)

ORDERS_BY_IDS = f"SELECT {columns(OrderRow)} FROM orders WHERE id = ANY($1::uuid[])"

LIVE_ORDER_BY_NUMBER = f"""
SELECT {columns(OrderRow)} FROM orders WHERE number = $1 AND deleted_at IS NULL
"""

LINES_BY_ORDER_IDS = f"""
SELECT {columns(OrderLineRow)} FROM order_lines
WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position
"""

LINES_BY_IDS = f"SELECT {columns(OrderLineRow)} FROM order_lines WHERE id = ANY($1::uuid[])"


async def orders_by_ids(executor: Executor, *, ids: list[UUID]) -> list[OrderRow]:
    """Orders with these ids, soft-deleted ones included (callers decide visibility)."""
    return to_rows(OrderRow, await executor.fetch(ORDERS_BY_IDS, ids))


async def live_order_by_number(executor: Executor, *, number: int) -> OrderRow | None:
    record = await executor.fetchrow(LIVE_ORDER_BY_NUMBER, number)
    return None if record is None else OrderRow(*record)


async def lines_by_order_ids(
    executor: Executor, *, ids: list[UUID]
) -> dict[UUID, list[OrderLineRow]]:
    """Each order's lines in their position order."""
    lines: dict[UUID, list[OrderLineRow]] = defaultdict(list)
    for row in to_rows(OrderLineRow, await executor.fetch(LINES_BY_ORDER_IDS, ids)):
        lines[row.order_id].append(row)
    return lines


async def lines_by_ids(executor: Executor, *, ids: list[UUID]) -> list[OrderLineRow]:
    return to_rows(OrderLineRow, await executor.fetch(LINES_BY_IDS, ids))
