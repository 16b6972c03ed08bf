"""A read that leaves columns out and times out stands for its read of whole rows: later in
the request the whole read fails with the same timeout without being sent (graphql-core,
answering after a compiled run that met the timeout, reads whole rows and would otherwise
wait once more). Every place that reads narrowed rows is held to it: rows by one id and by
many, order lines by order and by id, a page, the pages of many parents, groups' rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from sql.builder import PageSpec
from sql.entity import with_tiebreak
from sql.group_rows import fetch_group_rows
from sql.group_spec import Grouping, GroupSpec
from sql.orders import lines_by_ids, lines_by_order_ids
from sql.pages import fetch_nested_pages, fetch_page
from sql.pool import Database
from sql.products import PRODUCTS, products_by_ids
from sql.read_once import ReadOnce
from tests import factories
from tests.conftest import tables_locked
from tests.sql.test_read_once import logged_pool


@dataclass
class Store:
    category: UUID
    products: list[UUID]
    order: UUID
    lines: list[UUID]


Read = Callable[[ReadOnce, frozenset[str], Store], Awaitable[Any]]


def _page(omit: frozenset[str]) -> PageSpec:
    order = with_tiebreak([PRODUCTS.sortable["PRICE"]])
    return PageSpec(entity=PRODUCTS, order=order, after=None, backward=False, limit=10, omit=omit)


def _groups(omit: frozenset[str]) -> GroupSpec:
    return GroupSpec(set=_page(omit), keys=(Grouping("category"),), measures=(), order=(), limit=10)


READS: dict[str, tuple[str, frozenset[str], Read]] = {
    "products-by-one-id": (
        "products",
        frozenset({"created_at"}),
        lambda reads, omit, s: products_by_ids(reads, ids=s.products[:1], omit=omit),
    ),
    "products-by-ids": (
        "products",
        frozenset({"created_at"}),
        lambda reads, omit, s: products_by_ids(reads, ids=s.products, omit=omit),
    ),
    "lines-by-order": (
        "order_lines",
        frozenset({"created_at"}),
        lambda reads, omit, s: lines_by_order_ids(reads, ids=[s.order], owner=None, omit=omit),
    ),
    "lines-by-ids": (
        "order_lines",
        frozenset({"created_at"}),
        lambda reads, omit, s: lines_by_ids(reads, ids=s.lines, owner=None, omit=omit),
    ),
    "page": (
        "products",
        frozenset({"created_at", "updated_at"}),
        lambda reads, omit, s: fetch_page(reads, _page(omit)),
    ),
    "nested-pages": (
        "products",
        frozenset({"created_at", "updated_at"}),
        lambda reads, omit, s: fetch_nested_pages(
            reads, _page(omit), parent_key="category_id", parent_ids=[s.category]
        ),
    ),
    "group-rows": (
        "products",
        frozenset({"created_at", "updated_at"}),
        lambda reads, omit, s: fetch_group_rows(
            reads,
            _page(omit),
            groups=_groups(omit),
            parent_key=None,
            parent_ids=[(None, s.category)],
        ),
    ),
}


async def _store(db: Database) -> Store:
    category = await factories.category(db)
    products = [await factories.product(db, category, price=f"{n}.00") for n in (1, 2)]
    order = await factories.order(db, await factories.customer(db), [(p, 1) for p in products])
    lines = [
        r["id"] for r in await db.fetch("SELECT id FROM order_lines WHERE order_id = $1", order)
    ]
    return Store(category, products, order, lines)


@pytest.mark.parametrize("name", READS)
async def test_a_narrowed_read_that_timed_out_stands_for_its_whole_read(
    database_url: str, db: Database, name: str
) -> None:
    table, omit, read = READS[name]
    store = await _store(db)
    async with logged_pool(database_url, max_size=2, timeout_ms=300) as (pool, sent):
        reads = ReadOnce(pool)
        async with tables_locked(database_url, table):
            with pytest.raises(asyncpg.QueryCanceledError):
                await read(reads, omit, store)
        sent.clear()
        with pytest.raises(asyncpg.QueryCanceledError):
            await read(reads, frozenset(), store)  # the lock is gone: it was not sent
        assert sent == []
        assert await read(ReadOnce(pool), frozenset(), store)  # another request reads it
        assert sent != []
