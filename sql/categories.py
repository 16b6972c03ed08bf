"""Queries over categories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sql.builder import Column, Entity, SortKey
from sql.pool import Executor
from sql.rows import columns, to_rows


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: UUID
    rev: int
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


CATEGORIES = Entity(
    table="categories",
    row_type=CategoryRow,
    filterable={
        "id": Column("id", UUID, "uuid"),
        "name": Column("name", str, "text"),
        "created_at": Column("created_at", datetime, "timestamptz"),
    },
    sortable={
        "NAME": SortKey("{t}.name", str),
        "CREATED_AT": SortKey("{t}.created_at", datetime),
    },
)

CATEGORIES_BY_IDS = f"SELECT {columns(CategoryRow)} FROM categories WHERE id = ANY($1::uuid[])"

LIVE_CATEGORY_BY_NAME = f"""
SELECT {columns(CategoryRow)} FROM categories WHERE lower(name) = lower($1) AND deleted_at IS NULL
"""

LIVE_PRODUCT_COUNTS = """
SELECT c.id, count(p.id)
FROM unnest($1::uuid[]) AS c(id)
LEFT JOIN products AS p ON p.category_id = c.id AND p.deleted_at IS NULL
GROUP BY c.id
"""


async def categories_by_ids(executor: Executor, *, ids: list[UUID]) -> list[CategoryRow]:
    """Categories with these ids, soft-deleted ones included (callers decide visibility)."""
    return to_rows(CategoryRow, await executor.fetch(CATEGORIES_BY_IDS, ids))


async def live_category_by_name(executor: Executor, *, name: str) -> CategoryRow | None:
    """Names compare case-insensitively, as their uniqueness does."""
    record = await executor.fetchrow(LIVE_CATEGORY_BY_NAME, name)
    return None if record is None else CategoryRow(*record)


async def live_product_counts(executor: Executor, *, ids: list[UUID]) -> dict[UUID, int]:
    return {r[0]: r[1] for r in await executor.fetch(LIVE_PRODUCT_COUNTS, ids)}
