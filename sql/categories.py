"""Queries over categories."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sql.pool import Connection, Executor
from sql.row_columns import TIMESTAMPS, row_columns, sort_keys
from sql.rows import row_class
from sql.spec import Spec


@row_class
class CategoryRow:
    id: UUID
    rev: int
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


CATEGORY = Spec(
    table="categories",
    row=CategoryRow,
    filterable=row_columns(CategoryRow, "id", "name", "created_at"),
    sortable=sort_keys(CategoryRow, "name", "created_at"),
    insertable=("name", "description"),
    unique=("name",),
    folded=frozenset({"name"}),
    checked=("name", "description"),
    measures=row_columns(CategoryRow, *TIMESTAMPS),
)
CATEGORIES = CATEGORY.entity
categories_by_ids = CATEGORY.by_ids

LIVE_PRODUCT_COUNTS = """
SELECT c.id, count(p.id)
FROM unnest($1::uuid[]) AS c(id)
LEFT JOIN products AS p ON p.category_id = c.id AND p.deleted_at IS NULL
GROUP BY c.id
"""


async def live_product_counts(executor: Executor, *, ids: list[UUID]) -> dict[UUID, int]:
    return {r[0]: r[1] for r in await executor.fetch(LIVE_PRODUCT_COUNTS, ids)}


REFERENCED = """
SELECT DISTINCT category_id FROM products WHERE category_id = ANY($1::uuid[]) AND deleted_at IS NULL
"""


async def referenced(conn: Connection, *, ids: list[UUID]) -> set[UUID]:
    """The ids among `ids` of categories that hold live products."""
    return {r[0] for r in await conn.fetch(REFERENCED, ids)}
