"""Queries over customers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sql.builder import Column, Entity, Relation, SortKey, patch_statement
from sql.pool import Connection, Executor
from sql.rows import ByIds, columns, row_class, to_rows


@row_class
class CustomerRow:
    id: UUID
    rev: int
    email: str
    name: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


@row_class
class CustomerStats:
    order_count: int
    total_spent: Decimal


def _orders() -> Entity:
    from sql.orders import ORDERS  # orders filter by customer, customers by their orders

    return ORDERS


CUSTOMERS = Entity(
    table="customers",
    row_type=CustomerRow,
    filterable={
        "id": Column("id", UUID, "uuid"),
        "email": Column("email", str, "text"),
        "name": Column("name", str, "text"),
        "created_at": Column("created_at", datetime, "timestamptz"),
        "has_orders": Relation(_orders, join="{inner}.customer_id = {outer}.id"),
    },
    sortable={
        "NAME": SortKey("{t}.name", str),
        "EMAIL": SortKey("{t}.email", str),
        "CREATED_AT": SortKey("{t}.created_at", datetime),
    },
    owner="{t}.id",
    writable=frozenset({"email", "name"}),
    measures={
        "created_at": Column("created_at", datetime, "timestamptz"),
        "updated_at": Column("updated_at", datetime, "timestamptz"),
    },
)

# `$2` is the viewer's owner scope (see `sql.builder.Entity.owner`): NULL sees every
# customer, a uuid only that customer.
CUSTOMERS_BY_IDS = ByIds(f"""
SELECT {columns(CustomerRow)} FROM customers
WHERE id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR id = $2)
""")

LIVE_CUSTOMER_BY_EMAIL = f"""
SELECT {columns(CustomerRow)} FROM customers
WHERE lower(email) = lower($1) AND deleted_at IS NULL AND ($2::uuid IS NULL OR id = $2)
"""

# Orders count unless cancelled; money counts once paid (PAID or SHIPPED).
CUSTOMER_STATS = """
SELECT c.id,
       count(o.id) FILTER (WHERE o.status <> 'CANCELLED'),
       coalesce(sum(o.total) FILTER (WHERE o.status IN ('PAID', 'SHIPPED')), 0)
FROM unnest($1::uuid[]) AS c(id)
LEFT JOIN orders AS o ON o.customer_id = c.id AND o.deleted_at IS NULL
WHERE $2::uuid IS NULL OR c.id = $2
GROUP BY c.id
"""


async def customers_by_ids(
    executor: Executor, *, ids: list[UUID], owner: UUID | None
) -> list[CustomerRow]:
    """Customers with these ids the owner scope allows, soft-deleted ones included."""
    return to_rows(CustomerRow, await CUSTOMERS_BY_IDS.fetch(executor, ids, owner))


async def live_customer_by_email(
    executor: Executor, *, email: str, owner: UUID | None
) -> CustomerRow | None:
    """Emails compare case-insensitively, as their uniqueness does."""
    record = await executor.fetchrow(LIVE_CUSTOMER_BY_EMAIL, email, owner)
    return None if record is None else CustomerRow(*record)


async def customer_stats(
    executor: Executor, *, ids: list[UUID], owner: UUID | None
) -> dict[UUID, CustomerStats]:
    """Order count and money spent per customer the owner scope allows (others get none)."""
    records = await executor.fetch(CUSTOMER_STATS, ids, owner)
    return {r[0]: CustomerStats(order_count=r[1], total_spent=r[2]) for r in records}


INSERT_CUSTOMER = f"""
INSERT INTO customers (email, name) VALUES ($1, $2) RETURNING {columns(CustomerRow)}
"""

LOCK_CUSTOMER = f"SELECT {columns(CustomerRow)} FROM customers WHERE id = $1 FOR UPDATE"

SOFT_DELETE = f"""
UPDATE customers SET deleted_at = now(), rev = rev + 1, updated_at = now()
WHERE id = $1 AND rev = $2 AND deleted_at IS NULL RETURNING {columns(CustomerRow)}
"""

RESTORE = f"""
UPDATE customers SET deleted_at = NULL, rev = rev + 1, updated_at = now()
WHERE id = $1 AND rev = $2 AND deleted_at IS NOT NULL RETURNING {columns(CustomerRow)}
"""


async def insert_customer(conn: Connection, *, email: str, name: str) -> CustomerRow:
    record = await conn.fetchrow(INSERT_CUSTOMER, email, name)
    assert record is not None  # INSERT ... RETURNING always returns the row
    return CustomerRow(*record)


async def patch_customer(
    conn: Connection, *, id: UUID, rev: int, changes: dict[str, object]
) -> CustomerRow | None:
    """The updated row, or None when the customer is missing, deleted or at another rev."""
    statement = patch_statement(CUSTOMERS, changes)
    record = await conn.fetchrow(statement.text, id, rev, *statement.args[2:])
    return None if record is None else CustomerRow(*record)


async def lock_customer(conn: Connection, *, id: UUID) -> CustomerRow | None:
    record = await conn.fetchrow(LOCK_CUSTOMER, id)
    return None if record is None else CustomerRow(*record)


async def soft_delete_customer(conn: Connection, *, id: UUID, rev: int) -> CustomerRow | None:
    """Orders keep pointing at a deleted customer: history stays intact."""
    record = await conn.fetchrow(SOFT_DELETE, id, rev)
    return None if record is None else CustomerRow(*record)


async def restore_customer(conn: Connection, *, id: UUID, rev: int) -> CustomerRow | None:
    record = await conn.fetchrow(RESTORE, id, rev)
    return None if record is None else CustomerRow(*record)
