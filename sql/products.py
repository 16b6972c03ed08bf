"""Queries over products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sql.keyset import KeysetPage, SortColumn, SortKey, keyset_page, split_page
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


SORTABLE: dict[str, SortColumn] = {
    "NAME": SortColumn("name", str),
    "SKU": SortColumn("sku", str),
    "PRICE": SortColumn("price", Decimal),
    "STOCK": SortColumn("stock", int),
    "CREATED_AT": SortColumn("created_at", datetime),
    "UPDATED_AT": SortColumn("updated_at", datetime),
}
"""The orderings a products connection offers; each has an index in the migrations."""

PRODUCTS_BY_IDS = f"""
SELECT {columns(ProductRow)} FROM products WHERE id = ANY($1::uuid[])
"""

LIVE_PRODUCT_BY_SKU = f"""
SELECT {columns(ProductRow)} FROM products WHERE sku = $1 AND deleted_at IS NULL
"""


COUNT_LIVE_PRODUCTS = "SELECT count(*) FROM products WHERE deleted_at IS NULL"


async def count_live_products(executor: Executor) -> int:
    count: int = await executor.fetchval(COUNT_LIVE_PRODUCTS)
    return count


async def products_by_ids(executor: Executor, *, ids: list[UUID]) -> list[ProductRow]:
    """Products with these ids, soft-deleted ones included: order history needs them."""
    return to_rows(ProductRow, await executor.fetch(PRODUCTS_BY_IDS, ids))


async def live_product_by_sku(executor: Executor, *, sku: str) -> ProductRow | None:
    record = await executor.fetchrow(LIVE_PRODUCT_BY_SKU, sku)
    return None if record is None else ProductRow(*record)


async def live_products_page(
    executor: Executor,
    *,
    order: tuple[SortKey, ...],
    after: tuple[Any, ...] | None,
    backward: bool,
    limit: int,
) -> KeysetPage:
    """A keyset page of live products (see `keyset_page`); records become `ProductRow`s."""
    query = keyset_page(
        columns=columns(ProductRow),
        source="products",
        where=["deleted_at IS NULL"],
        order=order,
        after=after,
        backward=backward,
        limit=limit,
    )
    page = split_page(await executor.fetch(query.text, *query.args), limit=limit)
    return KeysetPage(
        records=to_rows(ProductRow, page.records),
        more_ahead=page.more_ahead,
        any_behind=page.any_behind,
    )
