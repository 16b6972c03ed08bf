"""Queries over customers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sql.entity import Entity, Relation
from sql.pool import Executor
from sql.row_columns import TIMESTAMPS, row_columns, sort_keys
from sql.rows import row_class
from sql.spec import Spec


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


CUSTOMER = Spec(
    table="customers",
    row=CustomerRow,
    filterable={
        **row_columns(CustomerRow, "id", "email", "name", "created_at"),
        "has_orders": Relation(_orders, join="{inner}.customer_id = {outer}.id"),
    },
    sortable=sort_keys(CustomerRow, "name", "email", "created_at"),
    insertable=("email", "name"),
    owner="id",
    unique=("email",),
    folded=frozenset({"email"}),
    checked=("email", "name"),
    measures=row_columns(CustomerRow, *TIMESTAMPS),
)
CUSTOMERS = CUSTOMER.entity
customers_by_ids = CUSTOMER.by_ids

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


async def customer_stats(
    executor: Executor, *, ids: list[UUID], owner: UUID | None
) -> dict[UUID, CustomerStats]:
    """Order count and money spent per customer the owner scope allows (others get none)."""
    records = await executor.fetch(CUSTOMER_STATS, ids, owner)
    return {r[0]: CustomerStats(order_count=r[1], total_spent=r[2]) for r in records}
