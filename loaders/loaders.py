"""The per-request DataLoaders.

A `Loaders` object is built for each request and dropped with it: loader caches hold rows
as this request's viewer saw them, so sharing one across requests would leak rows between
users and serve stale data. Batches read through the pool, so concurrent batches run on
separate connections.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from decimal import Decimal
from functools import cached_property, partial
from operator import attrgetter
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from aiodataloader import DataLoader

from loaders.align import align_one
from loaders.batching import KnownLoader, SharedLoader
from sql import categories, customers, orders
from sql.aggregates import aggregate_nested_rows
from sql.builder import PageSpec
from sql.customers import CustomerStats
from sql.group_rows import fetch_group_rows
from sql.groups import count_nested_groups, fetch_nested_groups
from sql.orders import OrderLineRow
from sql.pages import count_nested_rows, fetch_nested_pages
from sql.pool import Executor
from sql.rows import left_out
from sql.spec import Spec


class HasId(Protocol):
    @property
    def id(self) -> UUID: ...


RowT = TypeVar("RowT", bound=HasId)
V = TypeVar("V")


_id_of = attrgetter("id")


class ByIdLoader(KnownLoader[UUID, RowT | None], Generic[RowT]):
    """Rows by id, soft-deleted ones included; `None` for ids that do not exist."""

    def __init__(self, executor: Executor, fetch: Callable[..., Awaitable[list[RowT]]]) -> None:
        super().__init__()
        self._executor = executor
        self._fetch = fetch

    async def batch_load_fn(self, keys: Sequence[UUID]) -> list[RowT | None]:
        rows = await self._fetch(self._executor, ids=list(keys))
        return align_one(keys, rows, key=_id_of)

    def prime_row(self, row: RowT) -> None:
        """Replaces what this request knows of the row, e.g. after a write."""
        self.clear(row.id)
        self.prime(row.id, row)


class ByKeyLoader(KnownLoader[UUID, V], Generic[V]):
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
    every parent asking for the same shape is served by one statement. `options` go to
    the fetch as they are; the shape must tell them apart."""

    def __init__(self, executor: Executor, fetch: Callable[..., Awaitable[dict[Any, V]]]):
        self._executor = executor
        self._fetch = fetch
        self._loaders: dict[Hashable, DataLoader[Hashable, V]] = {}

    def load(
        self,
        spec: PageSpec,
        *,
        shape: Hashable,
        parent_key: str | None,
        parent_id: Hashable,
        **options: Any,
    ) -> Awaitable[V]:
        key = (spec.entity.table, parent_key, shape, spec.omit)
        loader = self._loaders.get(key)
        if loader is None:
            executor, fetch = self._executor, self._fetch

            async def batch(ids: Sequence[Hashable]) -> list[V]:
                found = await fetch(
                    executor, spec, parent_key=parent_key, parent_ids=list(ids), **options
                )
                return [found[i] for i in ids]

            loader = self._loaders[key] = SharedLoader(batch)
        return loader.load(parent_id)

    def clear(self) -> None:
        self._loaders.clear()


def _nested(fetch: Callable[..., Awaitable[dict[Any, V]]]) -> cached_property[NestedLoaders[V]]:
    """A request's `NestedLoaders` reading with `fetch`, made when first used."""

    def make(loaders: Loaders) -> NestedLoaders[V]:
        return NestedLoaders(loaders._executor, fetch)

    return cached_property(make)


class Loaders:
    """`owner` scopes every loader of customer-owned rows (see `resolvers.viewer`).

    Each loader is made when first used: most requests need one or two of them. Rows that
    leave fields out (`sql.rows.left_out`, as the running read says) have loaders of their
    own, so no one is handed a row without the fields they read."""

    def __init__(self, executor: Executor, *, owner: UUID | None) -> None:
        self._executor = executor
        self._owner = owner
        self._by_id: dict[tuple[str, frozenset[str]], ByIdLoader[Any]] = {}
        self._lines: dict[tuple[str, frozenset[str]], Any] = {}

    def by_id(self, spec: Spec[RowT]) -> ByIdLoader[RowT]:
        """Any entity's rows by id, within this request's owner scope if they have owners."""
        omit = left_out(spec.row)
        loader = self._by_id.get((spec.table, omit))
        if loader is None:
            fetch = partial(spec.by_ids, owner=self._owner, omit=omit)
            loader = self._by_id[spec.table, omit] = ByIdLoader(self._executor, fetch)
        return loader

    @property
    def line_by_id(self) -> ByIdLoader[OrderLineRow]:
        omit = left_out(OrderLineRow)
        loader: ByIdLoader[OrderLineRow] | None = self._lines.get(("id", omit))
        if loader is None:
            fetch = partial(orders.lines_by_ids, owner=self._owner, omit=omit)
            loader = self._lines["id", omit] = ByIdLoader(self._executor, fetch)
        return loader

    @property
    def lines_by_order(self) -> ByKeyLoader[list[OrderLineRow]]:
        omit = left_out(OrderLineRow)
        loader: ByKeyLoader[list[OrderLineRow]] | None = self._lines.get(("order", omit))
        if loader is None:
            fetch = partial(orders.lines_by_order_ids, owner=self._owner, omit=omit)
            loader = self._lines["order", omit] = ByKeyLoader(self._executor, fetch, list)
        return loader

    @cached_property
    def customer_stats(self) -> ByKeyLoader[CustomerStats]:
        fetch = partial(customers.customer_stats, owner=self._owner)
        return ByKeyLoader(self._executor, fetch, _no_stats)

    @cached_property
    def product_count_by_category(self) -> ByKeyLoader[int]:
        return ByKeyLoader(self._executor, categories.live_product_counts, int)

    nested_pages = _nested(fetch_nested_pages)
    nested_counts = _nested(count_nested_rows)
    nested_aggregates = _nested(aggregate_nested_rows)
    nested_groups = _nested(fetch_nested_groups)
    nested_group_counts = _nested(count_nested_groups)
    group_rows = _nested(fetch_group_rows)
    """Pages of groups' rows; a group's "parent id" is (its parent's id, *its keys)."""

    def forget_derived(self) -> None:
        """After a write: whatever was computed over many rows (stats, counts, nested pages)
        may have changed, so later fields in the same response read it again. Rows by id
        are primed with their fresh versions by the write itself."""
        for name in (
            "customer_stats",
            "product_count_by_category",
            "nested_pages",
            "nested_counts",
            "nested_aggregates",
            "nested_groups",
            "nested_group_counts",
            "group_rows",
        ):
            self.__dict__.pop(name, None)  # made afresh when next used


def _no_stats() -> CustomerStats:
    return CustomerStats(order_count=0, total_spent=Decimal("0.00"))
