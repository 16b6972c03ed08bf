"""Database errors as facts the use-cases can act on, by constraint name.

Only constraint names are read, never message text. Each named constraint maps to what it
protects; anything not in the table is not an expected failure and is re-raised as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg

Kind = Literal["unique", "check", "foreign_key"]


@dataclass(frozen=True, slots=True)
class Guard:
    kind: Kind
    table: str
    field: str


CONSTRAINTS: dict[str, Guard] = {
    "customers_email_key": Guard("unique", "customers", "email"),
    "customers_email_check": Guard("check", "customers", "email"),
    "customers_name_check": Guard("check", "customers", "name"),
    "categories_name_key": Guard("unique", "categories", "name"),
    "categories_name_check": Guard("check", "categories", "name"),
    "categories_description_check": Guard("check", "categories", "description"),
    "products_sku_key": Guard("unique", "products", "sku"),
    "products_sku_check": Guard("check", "products", "sku"),
    "products_name_check": Guard("check", "products", "name"),
    "products_description_check": Guard("check", "products", "description"),
    "products_price_check": Guard("check", "products", "price"),
    "products_stock_check": Guard("check", "products", "stock"),
    "products_category_id_fkey": Guard("foreign_key", "products", "categoryId"),
    "orders_customer_id_fkey": Guard("foreign_key", "orders", "customerId"),
    "order_lines_product_id_fkey": Guard("foreign_key", "order_lines", "productId"),
    "order_lines_quantity_check": Guard("check", "order_lines", "quantity"),
}


class ConstraintViolation(Exception):
    """A write broke a known constraint; `guard` says which and what it protects."""

    def __init__(self, guard: Guard, constraint: str) -> None:
        super().__init__(f"{constraint} ({guard.kind} on {guard.table}.{guard.field})")
        self.guard = guard
        self.constraint = constraint


def translate(error: asyncpg.PostgresError) -> ConstraintViolation | None:
    """The violation a driver error stands for, when its constraint is one we know."""
    name = getattr(error, "constraint_name", None)
    guard = CONSTRAINTS.get(name or "")
    return None if guard is None else ConstraintViolation(guard, name or "")
