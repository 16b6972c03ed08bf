"""Reads that leave timestamps out: the rows keep every other field, the ones left out
raise instead of holding a wrong value, and loaders keep such rows apart from whole ones."""

from __future__ import annotations

import pytest

from loaders.batching import load_all
from loaders.loaders import Loaders
from sql.builder import PageSpec
from sql.entity import with_tiebreak
from sql.orders import OrderLineRow, OrderRow, lines_by_order_ids
from sql.pages import fetch_page
from sql.pool import Database
from sql.products import PRODUCT, PRODUCTS, ProductRow, products_by_ids
from sql.rows import leavable, leaving_out
from tests import factories


def test_timestamps_and_texts_may_be_left_out_but_deleted_at() -> None:
    assert leavable(ProductRow) == {"sku", "name", "description", "created_at", "updated_at"}
    assert leavable(OrderRow) == {
        "status",
        "placed_at",
        "paid_at",
        "shipped_at",
        "cancelled_at",
        "created_at",
        "updated_at",
    }
    assert leavable(OrderLineRow) == {"created_at"}


async def test_rows_read_without_some_fields_have_the_others(db: Database) -> None:
    category = await factories.category(db)
    product = await factories.product(db, category, "Lamp", price="24.90")
    (whole,) = await products_by_ids(db, ids=[product])
    (narrow,) = await products_by_ids(db, ids=[product], omit=frozenset({"created_at"}))

    assert isinstance(narrow, ProductRow)
    assert narrow.__omitted__ == {"created_at"}  # type: ignore[attr-defined]
    assert (narrow.id, narrow.name, narrow.price, narrow.updated_at, narrow.deleted_at) == (
        whole.id,
        whole.name,
        whole.price,
        whole.updated_at,
        whole.deleted_at,
    )
    with pytest.raises(AttributeError):
        _ = narrow.created_at

    customer = await factories.customer(db)
    order = await factories.order(db, customer, [(product, 2)])
    lines = await lines_by_order_ids(db, ids=[order], owner=None, omit=frozenset({"created_at"}))
    (line,) = lines[order]
    assert (line.quantity, line.product_id) == (2, product)
    with pytest.raises(AttributeError):
        _ = line.created_at


async def test_pages_leave_out_what_their_spec_omits(db: Database) -> None:
    category = await factories.category(db)
    await factories.product(db, category, "A", price="1.00")
    await factories.product(db, category, "B", price="2.00")
    spec = PageSpec(
        entity=PRODUCTS,
        order=with_tiebreak([PRODUCTS.sortable["PRICE"]]),
        after=None,
        backward=False,
        limit=1,
        omit=frozenset({"created_at", "updated_at"}),
    )
    page = await fetch_page(db, spec)
    (row,) = page.rows
    assert (row.name, page.more_ahead, page.sort_values[0][0]) == ("A", True, row.price)
    with pytest.raises(AttributeError):
        _ = row.updated_at


async def test_loaders_keep_narrow_rows_apart(db: Database) -> None:
    """Under `leaving_out` the request's loader reads narrow rows; outside it, the whole
    rows are read again rather than handed the narrow ones."""
    category = await factories.category(db)
    product = await factories.product(db, category)
    loaders = Loaders(db, owner=None)
    with leaving_out({ProductRow: frozenset({"created_at"})}):
        narrow, again = await load_all(loaders.by_id(PRODUCT), [product, product])
        assert narrow is not None
        assert again is narrow
        with pytest.raises(AttributeError):
            _ = narrow.created_at
    (whole,) = await load_all(loaders.by_id(PRODUCT), [product])
    assert whole is not None
    assert whole is not narrow
    assert whole.created_at is not None
