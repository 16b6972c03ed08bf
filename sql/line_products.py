"""Orders' lines read with the products they name in one statement, for a read that will
show those products: one round trip and one loader batch fewer.

Only the products: their categories are few and shared, and a join repeats a category's
columns on every line (Q2: 152 lines over 48 categories), which cost the driver more to
decode than a statement of its own costs in all."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any
from uuid import UUID

from sql.orders import LINE_OWNED, OrderLineRow
from sql.pool import Executor
from sql.products import ProductRow
from sql.rows import ByIds, columns, row_maker

_order_id = attrgetter("order_id")


@dataclass(frozen=True, slots=True)
class LinesWithProducts:
    """Each order's lines in their position order, and the distinct products they name."""

    lines: dict[UUID, list[OrderLineRow]]
    products: list[ProductRow]


@dataclass(frozen=True, slots=True)
class _Reading:
    """One statement's text and how its records become rows: a maker per row type, and
    the position of the product's id, which tells distinct products apart."""

    statement: ByIds
    line: Callable[[Sequence[Any]], OrderLineRow]
    product: Callable[[Sequence[Any]], ProductRow]
    product_id: Callable[[Sequence[Any]], UUID]


@functools.cache
def _reading(omit: frozenset[str], product_omit: frozenset[str]) -> _Reading:
    statement = ByIds(f"""
SELECT {columns(OrderLineRow, prefix="l.", omit=omit)},
       {columns(ProductRow, prefix="p.", omit=product_omit)}
FROM order_lines AS l JOIN products AS p ON p.id = l.product_id
WHERE l.order_id = ANY($1::uuid[]) AND {LINE_OWNED}
ORDER BY l.order_id, l.position
""")
    at = sum(1 for f in fields(OrderLineRow) if f.name not in omit)
    product_columns = [f.name for f in fields(ProductRow) if f.name not in product_omit]
    return _Reading(
        statement,
        row_maker(OrderLineRow, omit),
        row_maker(ProductRow, product_omit, at),
        itemgetter(at + product_columns.index("id")),
    )


async def lines_with_products(
    executor: Executor,
    *,
    ids: list[UUID],
    owner: UUID | None,
    omit: frozenset[str],
    product_omit: frozenset[str],
) -> LinesWithProducts:
    """The lines of these orders, within the owner scope, as `lines_by_order_ids` reads
    them, with their products, soft-deleted or not (foreign keys promise them), each
    distinct product made once."""
    reading = _reading(omit, product_omit)
    records = await reading.statement.fetch(executor, ids, owner)
    rows = list(map(reading.line, records))
    # One record per product id, by C loops: each product's row is made once.
    by_product = dict(zip(map(reading.product_id, records), records, strict=True))
    return LinesWithProducts(
        lines={order_id: list(lines) for order_id, lines in groupby(rows, _order_id)},
        products=list(map(reading.product, by_product.values())),
    )
