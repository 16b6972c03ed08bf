"""Queries over categories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

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


CATEGORIES_BY_IDS = f"""
SELECT {columns(CategoryRow)} FROM categories WHERE id = ANY($1::uuid[])
"""


async def categories_by_ids(executor: Executor, *, ids: list[UUID]) -> list[CategoryRow]:
    """Categories with these ids, soft-deleted ones included (callers decide visibility)."""
    return to_rows(CategoryRow, await executor.fetch(CATEGORIES_BY_IDS, ids))
