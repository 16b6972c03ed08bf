"""Queries over categories."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sql.builder import Column, Entity, SortKey, patch_statement
from sql.pool import Connection, Executor
from sql.rows import ByIds, columns, row_class, to_rows


@row_class
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
    writable=frozenset({"name", "description"}),
    measures={
        "created_at": Column("created_at", datetime, "timestamptz"),
        "updated_at": Column("updated_at", datetime, "timestamptz"),
    },
)

CATEGORIES_BY_IDS = ByIds(
    f"SELECT {columns(CategoryRow)} FROM categories WHERE id = ANY($1::uuid[])"
)

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
    return to_rows(CategoryRow, await CATEGORIES_BY_IDS.fetch(executor, ids))


async def live_category_by_name(executor: Executor, *, name: str) -> CategoryRow | None:
    """Names compare case-insensitively, as their uniqueness does."""
    record = await executor.fetchrow(LIVE_CATEGORY_BY_NAME, name)
    return None if record is None else CategoryRow(*record)


async def live_product_counts(executor: Executor, *, ids: list[UUID]) -> dict[UUID, int]:
    return {r[0]: r[1] for r in await executor.fetch(LIVE_PRODUCT_COUNTS, ids)}


INSERT_CATEGORY = f"""
INSERT INTO categories (name, description) VALUES ($1, $2) RETURNING {columns(CategoryRow)}
"""

# FOR UPDATE, not the weaker lock an UPDATE takes: it conflicts with the key-share lock a
# product insert holds on its category, so no product can join a category being deleted.
LOCK_CATEGORY = f"SELECT {columns(CategoryRow)} FROM categories WHERE id = $1 FOR UPDATE"

HAS_LIVE_PRODUCTS = """
SELECT EXISTS (SELECT 1 FROM products WHERE category_id = $1 AND deleted_at IS NULL)
"""

SOFT_DELETE = f"""
UPDATE categories SET deleted_at = now(), rev = rev + 1, updated_at = now()
WHERE id = $1 AND rev = $2 AND deleted_at IS NULL RETURNING {columns(CategoryRow)}
"""

RESTORE = f"""
UPDATE categories SET deleted_at = NULL, rev = rev + 1, updated_at = now()
WHERE id = $1 AND rev = $2 AND deleted_at IS NOT NULL RETURNING {columns(CategoryRow)}
"""


async def insert_category(conn: Connection, *, name: str, description: str | None) -> CategoryRow:
    record = await conn.fetchrow(INSERT_CATEGORY, name, description)
    assert record is not None  # INSERT ... RETURNING always returns the row
    return CategoryRow(*record)


async def patch_category(
    conn: Connection, *, id: UUID, rev: int, changes: dict[str, object]
) -> CategoryRow | None:
    """The updated row, or None when the category is missing, deleted or at another rev."""
    statement = patch_statement(CATEGORIES, changes)
    record = await conn.fetchrow(statement.text, id, rev, *statement.args[2:])
    return None if record is None else CategoryRow(*record)


async def lock_category(conn: Connection, *, id: UUID) -> CategoryRow | None:
    record = await conn.fetchrow(LOCK_CATEGORY, id)
    return None if record is None else CategoryRow(*record)


async def has_live_products(conn: Connection, *, id: UUID) -> bool:
    return bool(await conn.fetchval(HAS_LIVE_PRODUCTS, id))


async def soft_delete_category(conn: Connection, *, id: UUID, rev: int) -> CategoryRow | None:
    record = await conn.fetchrow(SOFT_DELETE, id, rev)
    return None if record is None else CategoryRow(*record)


async def restore_category(conn: Connection, *, id: UUID, rev: int) -> CategoryRow | None:
    record = await conn.fetchrow(RESTORE, id, rev)
    return None if record is None else CategoryRow(*record)
