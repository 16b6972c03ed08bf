"""Writing products: create (one or a batch), upsert by sku, patch, adjust stock, soft delete
and restore.

A product only ever joins a live category: every write that sets its category first
key-share locks that category (see `sql.products`), so a concurrent deleteCategory either
waits and then sees the product, or wins and the write finds the category gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from resolvers.context import UnitOfWork
from resolvers.crud import Policy, Rules, permit
from resolvers.errors import (
    Duplicate,
    Invalid,
    NotFound,
    OutOfStock,
    Problem,
    Shortage,
    StaleRevision,
)
from resolvers.validation import Description, Input, Name, Price, Sku, Stock, parse
from resolvers.writes import idempotent, write
from sql import products
from sql.categories import CATEGORY
from sql.pool import Connection
from sql.products import PRODUCT, ProductRow
from sql.rows import row_from_json, row_to_json

MAX_BATCH = 1000
MAX_STOCK = 2_147_483_647


class ProductFields(Input):
    """The rule for each field; in a patch only `description` may be null."""

    sku: Sku
    name: Name
    description: Description | None = None
    price: Price
    stock: Stock
    category_id: UUID


class ProductInput(ProductFields):
    stock: Stock = 0


@dataclass(frozen=True, slots=True)
class Upserted:
    row: ProductRow
    created: bool


async def _require_live_category(conn: Connection, id: UUID) -> None:
    if not await CATEGORY.lock_live(conn, ids=[id]):
        raise NotFound("Category", id)


def _decode(stored: Any) -> ProductRow:
    return row_from_json(ProductRow, stored)


def _parse_batch(inputs: Sequence[Mapping[str, Any]]) -> list[ProductInput]:
    """Every input checked, and skus unique within the batch (the later one is the problem),
    with every problem reported at once."""
    if not 1 <= len(inputs) <= MAX_BATCH:
        raise Invalid([Problem(("inputs",), f"must hold 1 to {MAX_BATCH} products", "LENGTH")])
    found: list[Problem] = []
    parsed: list[ProductInput] = []
    first_seen: dict[Any, int] = {}
    for index, item in enumerate(inputs):
        try:
            parsed.append(parse(ProductInput, item, path=("inputs", str(index))))
        except Invalid as failed:
            found += failed.problems
        sku = item.get("sku")
        earlier = first_seen.setdefault(sku, index)
        if earlier != index:
            message = f"repeats the sku of inputs[{earlier}]"
            found.append(Problem(("inputs", str(index), "sku"), message, "DUPLICATE"))
    if found:
        raise Invalid(found)
    return parsed


async def create_products(
    work: UnitOfWork,
    *,
    inputs: Sequence[Mapping[str, Any]],
    idempotency_key: str | None = None,
) -> list[ProductRow]:
    """All of them or none: one insert statement in one transaction."""
    work.viewer.require_staff("change the catalogue")
    batch = _parse_batch(inputs)
    async with write(work) as conn:

        async def run() -> list[ProductRow]:
            wanted = sorted({data.category_id for data in batch})
            live = await CATEGORY.lock_live(conn, ids=wanted)
            for data in batch:
                if data.category_id not in live:
                    raise NotFound("Category", data.category_id)
            rows = await products.insert_products(conn, new=[data.model_dump() for data in batch])
            by_sku = {row.sku: row for row in rows}
            for data in batch:
                if data.sku not in by_sku:
                    raise Duplicate("sku", data.sku)
            return [by_sku[data.sku] for data in batch]

        rows = await idempotent(
            work,
            conn,
            operation="createProducts",
            key=idempotency_key,
            arguments=list(inputs),
            run=run,
            encode=lambda rows: [row_to_json(row) for row in rows],
            decode=lambda stored: [_decode(item) for item in stored],
        )
    for row in rows:
        work.loaders.by_id(PRODUCT).prime_row(row)
    return rows


async def upsert_product(
    work: UnitOfWork, *, input: Mapping[str, Any], rev: int | None = None
) -> Upserted:
    """Creates the product, or updates the live one with its sku (at `rev`, when given).
    On update, an omitted `stock` or `description` keeps its current value."""
    work.viewer.require_staff("change the catalogue")
    data = parse(ProductInput, input, path=("input",))
    async with write(work, values=input) as conn:
        await _require_live_category(conn, data.category_id)
        row = await products.upsert_product(
            conn,
            new=data.model_dump(),
            keep_stock="stock" not in input,
            keep_description="description" not in input,
            rev=rev,
        )
        if row is None:
            # The upsert locked the live product it declined to update: it is still there.
            current = await products.PRODUCT.live_by(conn, "sku", data.sku)
            assert current is not None
            assert rev is not None
            raise StaleRevision("Product", expected=rev, current=current.rev, row=current)
    work.loaders.by_id(PRODUCT).prime_row(row)
    return Upserted(row=row, created=row.rev == 1)  # an update always leaves rev above 1


async def adjust_stock(work: UnitOfWork, *, id: UUID, delta: int) -> ProductRow:
    """Moves stock by `delta` without a rev (increments from many writers all count), never
    below zero."""
    await permit(work, RULES, "staff", id)
    async with write(work) as conn:
        row = await products.adjust_stock(conn, id=id, delta=delta)
        if row is None:
            row = await _adjust_after_miss(conn, id=id, delta=delta)
    work.loaders.by_id(PRODUCT).prime_row(row)
    return row


async def _adjust_after_miss(conn: Connection, *, id: UUID, delta: int) -> ProductRow:
    """Why the adjustment matched no row, read under a row lock so the answer holds. Stock
    may have moved since the first attempt; if it now allows the change, it is made."""
    current = await PRODUCT.lock(conn, id=id)
    if current is None or current.deleted_at is not None:
        raise NotFound("Product", id)
    if current.stock + delta < 0:
        raise OutOfStock([Shortage(current, requested=-delta, available=current.stock)])
    if current.stock + delta > MAX_STOCK:
        raise Invalid([Problem(("delta",), f"would take stock above {MAX_STOCK}", "TOO_LARGE")])
    row = await products.adjust_stock(conn, id=id, delta=delta)
    assert row is not None  # locked, live, and the new stock is in range
    return row


RULES = Rules(
    spec=PRODUCT,
    policy=Policy(words="change the catalogue"),
    patch_model=ProductFields,
    input_model=ProductInput,
    live={"category_id": CATEGORY},
    taken=("sku",),
)
