"""Queries over products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sql.builder import Column, Entity, Relation, SortKey
from sql.categories import CATEGORIES
from sql.pool import Executor
from sql.rows import columns, to_rows


@dataclass(frozen=True, slots=True)
class ProductRow:
    id: UUID
    rev: int
    sku: str
    name: str
    description: str | None
    price: Decimal
    stock: int
    category_id: UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


PRODUCTS = Entity(
    table="products",
    row_type=ProductRow,
    filterable={
        "id": Column("id", UUID, "uuid"),
        "sku": Column("sku", str, "text"),
        "name": Column("name", str, "text"),
        "description": Column("description", str, "text", nullable=True),
        "price": Column("price", Decimal, "numeric"),
        "stock": Column("stock", int, "integer"),
        "created_at": Column("created_at", datetime, "timestamptz"),
        "updated_at": Column("updated_at", datetime, "timestamptz"),
        "category": Relation(lambda: CATEGORIES, join="{inner}.id = {outer}.category_id"),
    },
    sortable={
        "NAME": SortKey("{t}.name", str),
        "SKU": SortKey("{t}.sku", str),
        "PRICE": SortKey("{t}.price", Decimal),
        "STOCK": SortKey("{t}.stock", int),
        "CREATED_AT": SortKey("{t}.created_at", datetime),
        "UPDATED_AT": SortKey("{t}.updated_at", datetime),
    },
)

SEARCH_MATCH = "{t}.search @@ websearch_to_tsquery('english', {a0})"
"""Full-text match on name and description; the search text is the page's first argument."""

SEARCH_RANK = SortKey("ts_rank({t}.search, websearch_to_tsquery('english', {a0}))", float)
"""Relevance, highest first when used descending; pairs with `SEARCH_MATCH`."""

PRODUCTS_BY_IDS = f"SELECT {columns(ProductRow)} FROM products WHERE id = ANY($1::uuid[])"

LIVE_PRODUCT_BY_SKU = f"""
SELECT {columns(ProductRow)} FROM products WHERE sku = $1 AND deleted_at IS NULL
"""


async def products_by_ids(executor: Executor, *, ids: list[UUID]) -> list[ProductRow]:
    """Products with these ids, soft-deleted ones included: order history needs them."""
    return to_rows(ProductRow, await executor.fetch(PRODUCTS_BY_IDS, ids))


async def live_product_by_sku(executor: Executor, *, sku: str) -> ProductRow | None:
    record = await executor.fetchrow(LIVE_PRODUCT_BY_SKU, sku)
    return None if record is None else ProductRow(*record)
