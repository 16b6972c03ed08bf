"""The per-request DataLoaders.

A `Loaders` object is built for each request and dropped with it: loader caches hold rows
as this request's viewer saw them, so sharing one across requests would leak rows between
users and serve stale data. Batches read through the pool, so concurrent batches run on
separate connections.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from decimal import Decimal
from functools import partial
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from aiodataloader import DataLoader

from loaders.align import align_one
from sql import categories, customers, orders, products
from sql.builder import PageSpec
from sql.categories import CategoryRow
from sql.customers import CustomerRow, CustomerStats
from sql.orders import OrderLineRow, OrderRow
from sql.pages import RowPage, count_nested_rows, fetch_nested_pages
from sql.pool import Executor
from sql.products import ProductRow


class _HasId(Protocol):
    @property
    def id(self) -> UUID: ...


RowT = TypeVar("RowT", bound=_HasId)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByIdLoader(DataLoader[UUID, RowT | None], Generic[RowT]):
    """Rows by id, soft-deleted ones included; `None` for ids that do not exist."""

    def __init__(self, executor: Executor, fetch: Callable[..., Awaitable[list[RowT]]]) -> None:
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


class ByKeyLoader(DataLoader[UUID, V], Generic[V]):
    """Values by parent id from a fetch returning a dict; `default` for absent keys."""

    def __init__(
        self,
        executor: Executor,
        fetch: Callable[..., Awaitable[dict[UUID, V]]],
        default: Callable[[], V],
    ) -> None:
        super().__init__()
        self._executor = executor
        self._fetch = fetch
        self._default = default

    async def batch_load_fn(self, keys: Sequence[UUID]) -> list[V]:
        found = await self._fetch(self._executor, ids=list(keys))
        return [found[k] if k in found else self._default() for k in keys]


class NestedLoaders(Generic[V]):
    """One loader per page shape (filter, ordering, cursor, size) of a nested connection:
    every parent asking for the same shape is served by one statement."""

    def __init__(self, executor: Executor, fetch: Callable[..., Awaitable[dict[UUID, V]]]):
        self._executor = executor
        self._fetch = fetch
        self._loaders: dict[Hashable, DataLoader[UUID, V]] = {}

    def load(
        self, spec: PageSpec, *, shape: Hashable, parent_key: str, parent_id: UUID
    ) -> Awaitable[V]:
        key = (spec.entity.table, parent_key, shape)
        loader = self._loaders.get(key)
        if loader is None:
            executor, fetch = self._executor, self._fetch

            async def batch(ids: Sequence[UUID]) -> list[V]:
                found = await fetch(executor, spec, parent_key=parent_key, parent_ids=list(ids))
                return [found[i] for i in ids]

            loader = self._loaders[key] = DataLoader(batch)
        return loader.load(parent_id)

    def clear(self) -> None:
        self._loaders.clear()


class Loaders:
    """`owner` scopes every loader of customer-owned rows (see `resolvers.viewer`)."""

    def __init__(self, executor: Executor, *, owner: UUID | None) -> None:
        self.customer_by_id = ByIdLoader[CustomerRow](
            executor, partial(customers.customers_by_ids, owner=owner)
        )
        self.category_by_id = ByIdLoader[CategoryRow](executor, categories.categories_by_ids)
        self.product_by_id = ByIdLoader[ProductRow](executor, products.products_by_ids)
        self.order_by_id = ByIdLoader[OrderRow](
            executor, partial(orders.orders_by_ids, owner=owner)
        )
        self.line_by_id = ByIdLoader[OrderLineRow](
            executor, partial(orders.lines_by_ids, owner=owner)
        )
        self.lines_by_order = ByKeyLoader[list[OrderLineRow]](
            executor, partial(orders.lines_by_order_ids, owner=owner), list
        )
        self.customer_stats = ByKeyLoader[CustomerStats](
            executor, partial(customers.customer_stats, owner=owner), _no_stats
        )
        self.product_count_by_category = ByKeyLoader[int](
            executor, categories.live_product_counts, int
        )
        self.nested_pages: NestedLoaders[RowPage] = NestedLoaders(executor, fetch_nested_pages)
        self.nested_counts: NestedLoaders[int] = NestedLoaders(executor, count_nested_rows)

    def forget_derived(self) -> None:
        """After a write: whatever was computed over many rows (stats, counts, nested pages)
        may have changed, so later fields in the same response read it again. Rows by id
        are primed with their fresh versions by the write itself."""
        self.customer_stats.clear_all()
        self.product_count_by_category.clear_all()
        self.nested_pages.clear()
        self.nested_counts.clear()


async def load_all(loader: DataLoader[K, V], keys: Sequence[K]) -> list[V]:
    """One value per key, in order: each distinct key is loaded once, so a page of lines
    naming 50 categories 200 times costs 50 loads, not 200."""
    distinct = list(dict.fromkeys(keys))
    found = dict(zip(distinct, await loader.load_many(distinct), strict=True))
    return [found[key] for key in keys]


def _no_stats() -> CustomerStats:
    return CustomerStats(order_count=0, total_spent=Decimal("0.00"))
