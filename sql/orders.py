"""Queries over orders and their lines, and the writes that place orders and move them."""

from __future__ import annotations

import functools
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from operator import attrgetter
from uuid import UUID

from sql.customers import CUSTOMERS
from sql.entity import Column, Relation
from sql.errors import Guard, register
from sql.pool import Connection, Executor
from sql.products import PRODUCT, ProductRow
from sql.row_columns import TIMESTAMPS, row_columns, sort_keys
from sql.rows import ByIds, columns, row_class, to_rows
from sql.spec import Spec


@row_class
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


@row_class
class OrderLineRow:
    id: UUID
    order_id: UUID
    position: int
    product_id: UUID
    quantity: int
    unit_price: Decimal
    created_at: datetime


ENUMS = {"status": "order_status"}
"""Columns of a PostgreSQL enum type."""

ORDER = Spec(
    table="orders",
    row=OrderRow,
    filterable={
        **row_columns(OrderRow, "id", "number", "status", "total", "placed_at", sql_types=ENUMS),
        "customer": Relation(lambda: CUSTOMERS, join="{inner}.id = {outer}.customer_id"),
    },
    # The enum sorts in its declared order: PENDING, PAID, SHIPPED, CANCELLED.
    sortable=sort_keys(OrderRow, "number", "total", "placed_at", "status"),
    owner="customer_id",
    references={"customer_id": "Customer"},
    groupable={
        "status": Column("status", str, "order_status"),
        "customer": Column("customer_id", UUID, "uuid"),
    },
    measures=row_columns(
        OrderRow,
        "total",
        "placed_at",
        "paid_at",
        "shipped_at",
        "cancelled_at",
        *TIMESTAMPS,
    ),
)

ORDERS = ORDER.entity
orders_by_ids = ORDER.by_ids

# Lines are written with their order only (placeOrder): their constraints are known here.
register(
    {
        "order_lines_product_id_fkey": Guard(
            "foreign_key", "order_lines", "product_id", references="Product"
        ),
        "order_lines_quantity_check": Guard("check", "order_lines", "quantity"),
    }
)

# The owner check is a subquery rather than a join: with no owner (staff) PostgreSQL
# drops it when planning, where a join probed the orders index once per line (the nested
# orders page: 0.56 -> 0.40 ms a round trip).
LINE_OWNED = (
    "($2::uuid IS NULL"
    " OR EXISTS (SELECT FROM orders AS o WHERE o.id = l.order_id AND o.customer_id = $2))"
)


_order_id = attrgetter("order_id")


@functools.cache
def _lines_statement(match: str, omit: frozenset[str]) -> ByIds:
    """Lines whose `match` column is among `$1`, within the owner scope `$2`, without the
    fields in `omit`."""
    whole = _lines_statement(match, frozenset()) if omit else None
    return ByIds(
        f"""
SELECT {columns(OrderLineRow, prefix="l.", omit=omit)} FROM order_lines AS l
WHERE l.{match} = ANY($1::uuid[]) AND {LINE_OWNED}
{"ORDER BY l.order_id, l.position" if match == "order_id" else ""}
""",
        whole,
    )


LINES_BY_ORDER = _lines_statement("order_id", frozenset())
"""The statement of every order's lines (what `lines_by_order_ids` reads)."""


async def lines_by_order_ids(
    executor: Executor,
    *,
    ids: list[UUID],
    owner: UUID | None,
    omit: frozenset[str] = frozenset(),
) -> dict[UUID, list[OrderLineRow]]:
    """Each order's lines in their position order."""
    rows = await _lines(executor, "order_id", ids, owner, omit)
    # The statement sorts by order, so each order's lines come together: grouped in C.
    return {order_id: list(lines) for order_id, lines in groupby(rows, _order_id)}


async def lines_by_ids(
    executor: Executor,
    *,
    ids: list[UUID],
    owner: UUID | None,
    omit: frozenset[str] = frozenset(),
) -> list[OrderLineRow]:
    return await _lines(executor, "id", ids, owner, omit)


async def _lines(
    executor: Executor, match: str, ids: list[UUID], owner: UUID | None, omit: frozenset[str]
) -> list[OrderLineRow]:
    records = await _lines_statement(match, omit).fetch(executor, ids, owner)
    return to_rows(OrderLineRow, records, omit)


# Writes. Every statement that touches several products first locks them in id order
# (`lock_products`, `lock_order_products`): two orders sharing products then queue on the
# first one they share instead of deadlocking.

LIVE_CUSTOMER = "SELECT true FROM customers WHERE id = $1 AND deleted_at IS NULL FOR SHARE"

LOCK_PRODUCTS = f"""
SELECT {columns(ProductRow)} FROM products WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
"""

SHIFT_STOCK = f"""
UPDATE products AS p SET stock = p.stock + d.delta, rev = p.rev + 1, updated_at = now()
FROM unnest($1::uuid[], $2::integer[]) AS d(id, delta)
WHERE p.id = d.id AND p.stock + d.delta >= 0
RETURNING {columns(ProductRow, prefix="p.")}
"""

# The order's id is drawn first so its lines can be inserted before it and its total
# summed from the inserted lines, all in one statement (foreign keys are checked when the
# statement ends). Unit prices are the products' prices now. One row back per line.
INSERT_ORDER = f"""
WITH new_id AS (SELECT gen_random_uuid() AS id),
new_lines AS (
    INSERT INTO order_lines (order_id, position, product_id, quantity, unit_price)
    SELECT new_id.id, d.position, d.product_id, d.quantity, p.price
    FROM new_id
    CROSS JOIN unnest($2::uuid[], $3::integer[])
        WITH ORDINALITY AS d(product_id, quantity, position)
    JOIN products AS p ON p.id = d.product_id
    RETURNING {columns(OrderLineRow)}
),
new_order AS (
    INSERT INTO orders (id, customer_id, total)
    SELECT new_id.id, $1, (SELECT sum(quantity * unit_price) FROM new_lines) FROM new_id
    RETURNING {columns(OrderRow)}
)
SELECT {columns(OrderRow, prefix="o.")}, {columns(OrderLineRow, prefix="l.")}
FROM new_order AS o CROSS JOIN new_lines AS l ORDER BY l.position
"""

# Moves a live order at an expected rev to $3 when it is in one of the statuses $4, and
# stamps the matching time, so the status and its timestamps change together.
TRANSITION = f"""
UPDATE orders SET
    status = $3::order_status,
    paid_at = CASE WHEN $3::order_status = 'PAID' THEN now() ELSE paid_at END,
    shipped_at = CASE WHEN $3::order_status = 'SHIPPED' THEN now() ELSE shipped_at END,
    cancelled_at = CASE WHEN $3::order_status = 'CANCELLED' THEN now() ELSE cancelled_at END,
    rev = rev + 1, updated_at = now()
WHERE id = $1 AND rev = $2 AND deleted_at IS NULL AND status = ANY($4::order_status[])
RETURNING {columns(OrderRow)}
"""

LOCK_ORDER_PRODUCTS = f"""
SELECT {columns(ProductRow)} FROM products
WHERE id IN (SELECT product_id FROM order_lines WHERE order_id = $1) ORDER BY id FOR UPDATE
"""

RESTOCK_ORDER = f"""
UPDATE products AS p SET stock = p.stock + l.quantity, rev = p.rev + 1, updated_at = now()
FROM order_lines AS l WHERE l.order_id = $1 AND p.id = l.product_id
RETURNING {columns(ProductRow, prefix="p.")}
"""


async def lock_live_customer(conn: Connection, *, id: UUID) -> bool:
    """Whether the customer exists and is live; if so, it stays live until the transaction
    ends (a concurrent soft delete waits)."""
    return bool(await conn.fetchval(LIVE_CUSTOMER, id))


async def lock_products(conn: Connection, *, ids: list[UUID]) -> list[ProductRow]:
    """The products with these ids (soft-deleted ones included), locked in id order."""
    return await PRODUCT.fetch_rows(conn, LOCK_PRODUCTS, ids)


async def shift_stock(conn: Connection, *, deltas: dict[UUID, int]) -> list[ProductRow]:
    """Adds each delta to its product's stock, except where stock would fall below zero:
    those products are left as they are and absent from the rows returned."""
    return await PRODUCT.fetch_rows(conn, SHIFT_STOCK, list(deltas), list(deltas.values()))


async def insert_order(
    conn: Connection, *, customer_id: UUID, lines: list[tuple[UUID, int]]
) -> tuple[OrderRow, list[OrderLineRow]]:
    """A PENDING order with one line per (product, quantity), positions 1, 2, ... in the
    given order; the products must exist."""
    product_ids = [product for product, _ in lines]
    quantities = [quantity for _, quantity in lines]
    records = await conn.fetch(INSERT_ORDER, customer_id, product_ids, quantities)
    split = len(fields(OrderRow))
    order = OrderRow(*tuple(records[0])[:split])
    return order, [OrderLineRow(*tuple(r)[split:]) for r in records]


async def transition_order(
    conn: Connection, *, id: UUID, rev: int, to: str, sources: frozenset[str]
) -> OrderRow | None:
    """The order moved to `to`, or None when it is missing, deleted, at another rev or in
    a status not in `sources`."""
    return await ORDER.fetch_one(conn, TRANSITION, id, rev, to, sorted(sources))


async def lock_order_products(conn: Connection, *, id: UUID) -> list[ProductRow]:
    return await PRODUCT.fetch_rows(conn, LOCK_ORDER_PRODUCTS, id)


async def restock_order(conn: Connection, *, id: UUID) -> list[ProductRow]:
    """Puts every line's quantity back into stock; lock the products first."""
    return await PRODUCT.fetch_rows(conn, RESTOCK_ORDER, id)
