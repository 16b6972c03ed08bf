"""The per-request DataLoaders.

A `Loaders` object is built for each request and dropped with it: loader caches hold rows
as this request's viewer saw them, so sharing one across requests would leak rows between
users and serve stale data. Batches read through the pool, so concurrent batches run on
separate connections.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from aiodataloader import DataLoader

from loaders.align import align_one
from sql import categories, products
from sql.categories import CategoryRow
from sql.pool import Executor
from sql.products import ProductRow


class _HasId(Protocol):
    @property
    def id(self) -> UUID: ...


RowT = TypeVar("RowT", bound=_HasId)


class ByIdLoader(DataLoader[UUID, RowT | None], Generic[RowT]):
    """Rows by id, soft-deleted ones included; `None` for ids that do not exist."""

    def __init__(
        self,
        executor: Executor,
        fetch: Callable[..., Awaitable[list[RowT]]],
    ) -> None:
        super().__init__()
        self._executor = executor
        self._fetch = fetch

    async def batch_load_fn(self, keys: Sequence[UUID]) -> list[RowT | None]:
        rows = await self._fetch(self._executor, ids=list(keys))
        return align_one(keys, rows, key=lambda row: row.id)

    def prime_row(self, row: RowT) -> None:
        """Replaces what this request knows of the row, e.g. after a write."""
        self.clear(row.id)
        self.prime(row.id, row)


class Loaders:
    def __init__(self, executor: Executor) -> None:
        self.product_by_id = ByIdLoader[ProductRow](executor, products.products_by_ids)
        self.category_by_id = ByIdLoader[CategoryRow](executor, categories.categories_by_ids)
