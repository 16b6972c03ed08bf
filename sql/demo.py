"""Rows of the data at hand that development tools point at: the customer the development
token speaks for, and the products GraphiQL's example mutations write to."""

from __future__ import annotations

from uuid import UUID

from sql.pool import Executor
from sql.rows import columns, row_class, to_rows


@row_class
class DemoCustomer:
    id: UUID
    email: str
    name: str
    order_count: int


@row_class
class DemoProduct:
    id: UUID
    rev: int
    sku: str
    stock: int


# The customer with the most orders, so their token shows something; email breaks ties, so
# every process (and every restart over the same data) picks the same one.
DEMO_CUSTOMER = """
SELECT c.id, c.email, c.name, count(o.id)::int AS order_count
FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.deleted_at IS NULL
WHERE c.deleted_at IS NULL
GROUP BY c.id
ORDER BY order_count DESC, c.email, c.id
LIMIT 1
"""

PRODUCTS_IN_STOCK = f"""
SELECT {columns(DemoProduct)} FROM products
WHERE deleted_at IS NULL AND stock > 0
ORDER BY sku, id
LIMIT $1
"""


async def demo_customer(executor: Executor) -> DemoCustomer | None:
    """None when there is no live customer."""
    record = await executor.fetchrow(DEMO_CUSTOMER)
    return None if record is None else DemoCustomer(*record)


async def products_in_stock(executor: Executor, *, limit: int) -> list[DemoProduct]:
    """Live products with stock, the same ones every time while they have it (by sku)."""
    return to_rows(DemoProduct, await executor.fetch(PRODUCTS_IN_STOCK, limit))
