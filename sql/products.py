"""Queries over products."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sql.categories import CATEGORIES
from sql.entity import Column, Relation, SortKey
from sql.pool import Connection
from sql.row_columns import TIMESTAMPS, row_columns, sort_keys
from sql.rows import columns, row_class
from sql.spec import Spec


@row_class
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


PRODUCT = Spec(
    table="products",
    row=ProductRow,
    filterable={
        **row_columns(
            ProductRow, "id", "sku", "name", "description", "price", "stock", *TIMESTAMPS
        ),
        "category": Relation(lambda: CATEGORIES, join="{inner}.id = {outer}.category_id"),
    },
    sortable=sort_keys(ProductRow, "name", "sku", "price", "stock", *TIMESTAMPS),
    insertable=("sku", "name", "description", "price", "stock", "category_id"),
    unique=("sku",),
    checked=("sku", "name", "description", "price", "stock"),
    references={"category_id": "Category"},
    groupable={"category": Column("category_id", UUID, "uuid")},
    measures=row_columns(ProductRow, "price", "stock", *TIMESTAMPS),
)
PRODUCTS = PRODUCT.entity
products_by_ids = PRODUCT.by_ids

SEARCH_MATCH = "{t}.search @@ websearch_to_tsquery('english', {a0})"
"""Full-text match on name and description; the search text is the page's first argument."""

MAX_SEARCH_CHARS = 1_000
"""Characters of a search: PostgreSQL parses a query of some 19,000 words into a tree deeper
than its stack allows; a thousand characters hold at most 500 words."""

SEARCH_RANK = SortKey("ts_rank({t}.search, websearch_to_tsquery('english', {a0}))", float)
"""Relevance, highest first when used descending; pairs with `SEARCH_MATCH`."""

# -- writes --------------------------------------------------------------------------------
# A product only ever joins a live category: writes that set `category_id` first take a
# key-share lock on the live category (`Spec.lock_live`). deleteCategory locks the
# category FOR UPDATE, which conflicts with it, so either the delete waits and then sees the
# product, or the product write waits and then finds the category deleted.

# The columns a write sets, named and typed from `PRODUCT.insertable`, whose order is also
# that of the parameters (`_in_order`): a column list written out by hand could swap two
# of one type (name and description) without an error.
_SETS = row_columns(ProductRow, *PRODUCT.insertable)
_NAMES = ", ".join(_SETS)
_SLOT = {name: f"${n}" for n, name in enumerate(_SETS, 1)}
_LAST = len(_SETS)  # the statement's own parameters follow

# One statement for the whole batch whatever its size. A sku already taken by a live product
# is skipped rather than raised, so the caller learns which one it was.
_ARRAYS = ", ".join(f"{_SLOT[name]}::{column.sql_type}[]" for name, column in _SETS.items())
INSERT_PRODUCTS = f"""
INSERT INTO products ({_NAMES})
SELECT {_NAMES}
FROM unnest({_ARRAYS}) AS i({_NAMES})
ON CONFLICT (sku) WHERE deleted_at IS NULL DO NOTHING
RETURNING {columns(ProductRow)}
"""

# Insert, or update the live product with this sku. Racing upserts of a new sku serialize on
# the unique index: the second waits for the first and then takes the DO UPDATE path. An
# omitted stock (null) or description (the first parameter after the columns, false) keeps
# the current value on update. With a rev (the second) a mismatch updates nothing and
# returns no row (the row stays locked).
_VALUES = ", ".join(
    f"coalesce({slot}::integer, 0)" if name == "stock" else slot for name, slot in _SLOT.items()
)
UPSERT_PRODUCT = f"""
INSERT INTO products AS p ({_NAMES})
VALUES ({_VALUES})
ON CONFLICT (sku) WHERE deleted_at IS NULL DO UPDATE SET
    name = excluded.name,
    description = CASE WHEN ${_LAST + 1}::boolean THEN excluded.description ELSE p.description END,
    price = excluded.price,
    stock = coalesce({_SLOT["stock"]}::integer, p.stock),
    category_id = excluded.category_id,
    rev = p.rev + 1,
    updated_at = now()
WHERE ${_LAST + 2}::integer IS NULL OR p.rev = ${_LAST + 2}
RETURNING {columns(ProductRow)}
"""

# Stock moves by delta in one conditional statement: no row back means missing, deleted, or
# the result would leave 0..2^31-1 (bigint arithmetic, so the check itself cannot overflow).
ADJUST_STOCK = f"""
UPDATE products SET stock = stock + $2::integer, rev = rev + 1, updated_at = now()
WHERE id = $1 AND deleted_at IS NULL AND stock::bigint + $2::integer BETWEEN 0 AND 2147483647
RETURNING {columns(ProductRow)}
"""


async def insert_products(
    conn: Connection, *, new: Sequence[Mapping[str, Any]]
) -> list[ProductRow]:
    """The inserted rows in no particular order; a product whose sku is taken is left out.
    Each of `new` holds values by column, as for `Spec.insert`."""
    rows = [_in_order(values) for values in new]
    arrays = [[row[i] for row in rows] for i in range(len(_SETS))]
    return await PRODUCT.fetch_rows(conn, INSERT_PRODUCTS, *arrays)


async def upsert_product(
    conn: Connection,
    *,
    new: Mapping[str, Any],
    keep_stock: bool,
    keep_description: bool,
    rev: int | None,
) -> ProductRow | None:
    """The inserted or updated row (a new one is at rev 1), or None when the live product
    with this sku is not at `rev`. `new` holds values by column, as for `Spec.insert`."""
    values = _in_order({**new, "stock": None} if keep_stock else new)
    return await PRODUCT.fetch_one(conn, UPSERT_PRODUCT, *values, not keep_description, rev)


def _in_order(new: Mapping[str, Any]) -> list[Any]:
    """`new`'s values in the order of `PRODUCT.insertable`: exactly those keys, since a key
    missing would be written as null and one left over would be lost."""
    if new.keys() != _SETS.keys():
        raise ValueError(f"a product's values are {list(_SETS)}, not {list(new)}")
    return list(map(new.__getitem__, _SETS))


async def adjust_stock(conn: Connection, *, id: UUID, delta: int) -> ProductRow | None:
    return await PRODUCT.fetch_one(conn, ADJUST_STOCK, id, delta)
