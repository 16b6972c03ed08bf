"""Generated store data: deterministic, realistic rows in each table's COPY column order.

Pure Python, no database. The same seed and scale give the same rows: every value comes from
RNGs seeded with (seed, table), and times count back from a fixed instant rather than now().
Customers, categories and products are small and built up front; orders and their lines are
planned compactly (integers in arrays) and turned into rows lazily, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sql.seed_catalogue import Categories, Customers, Products, Row
from sql.seed_clock import BASE_TIME, rng
from sql.seed_orders import FIRST_ORDER_NUMBER, OrderPlan

__all__ = ["BASE_TIME", "FIRST_ORDER_NUMBER", "Row", "Scale", "Table", "tables"]


@dataclass(frozen=True, slots=True)
class Scale:
    """How many documents of each kind to generate; order lines follow from orders (1-5)."""

    customers: int
    categories: int
    products: int
    orders: int

    def __post_init__(self) -> None:
        if min(self.customers, self.categories, self.products, self.orders) < 0:
            raise ValueError("sizes must not be negative")
        if self.products and not self.categories:
            raise ValueError("products need at least one category")
        if self.orders and not (self.customers and self.products):
            raise ValueError("orders need at least one customer and one product")


@dataclass(frozen=True, slots=True)
class Table:
    """One table's rows, in `columns` order; `rows` may be a generator, read it once."""

    name: str
    columns: tuple[str, ...]
    count: int
    rows: Iterable[Row]


def tables(scale: Scale, *, seed: int) -> list[Table]:
    """Every domain table's generated rows, parents before children."""
    customers = Customers(rng(seed, "customers"), scale.customers)
    categories = Categories(rng(seed, "categories"), scale.categories)
    products = Products(rng(seed, "products"), scale.products, categories)
    plan = OrderPlan(rng(seed, "orders"), scale.orders, customers, products)
    return [
        Table("customers", CUSTOMER_COLUMNS, len(customers.rows), customers.rows),
        Table("categories", CATEGORY_COLUMNS, len(categories.rows), categories.rows),
        Table("products", PRODUCT_COLUMNS, len(products.rows), products.rows),
        Table("orders", ORDER_COLUMNS, scale.orders, plan.orders(rng(seed, "status"))),
        Table("order_lines", LINE_COLUMNS, plan.line_count, plan.lines(rng(seed, "lines"))),
    ]


CUSTOMER_COLUMNS = ("id", "rev", "email", "name", "created_at", "updated_at", "deleted_at")
CATEGORY_COLUMNS = ("id", "rev", "name", "description", "created_at", "updated_at", "deleted_at")
PRODUCT_COLUMNS = (
    *("id", "rev", "sku", "name", "description", "price", "stock", "category_id"),
    *("created_at", "updated_at", "deleted_at"),
)
ORDER_COLUMNS = (
    *("id", "rev", "number", "status", "customer_id", "total", "placed_at", "paid_at"),
    *("shipped_at", "cancelled_at", "created_at", "updated_at", "deleted_at"),
)
LINE_COLUMNS = ("id", "order_id", "position", "product_id", "quantity", "unit_price", "created_at")
