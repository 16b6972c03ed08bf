"""Reads by id: one id and many read the same rows, and one id gets a cached plan."""

from __future__ import annotations

from uuid import uuid4

import pytest

from sql.orders import lines_by_ids, lines_by_order_ids, orders_by_ids
from sql.pool import Database
from sql.products import PRODUCT, products_by_ids
from sql.rows import ByIds
from tests import factories


async def test_one_id_and_many_ids_read_the_same_rows(db: Database) -> None:
    category = await factories.category(db)
    a = await factories.product(db, category, "A")
    b = await factories.product(db, category, "B")
    missing = uuid4()

    (one,) = await products_by_ids(db, ids=[a])
    many = await products_by_ids(db, ids=[a, b, missing])
    assert one.name == "A"
    assert {row.id: row for row in many} == {a: one, b: (await products_by_ids(db, ids=[b]))[0]}
    assert await products_by_ids(db, ids=[missing]) == []
    assert await products_by_ids(db, ids=[]) == []


async def test_the_owner_scope_holds_for_one_id_too(db: Database) -> None:
    category = await factories.category(db)
    product = await factories.product(db, category)
    alice, bob = await factories.customer(db), await factories.customer(db)
    order = await factories.order(db, alice, [(product, 1)])

    assert [o.id for o in await orders_by_ids(db, ids=[order], owner=alice)] == [order]
    assert await orders_by_ids(db, ids=[order], owner=bob) == []
    assert await orders_by_ids(db, ids=[order, uuid4()], owner=bob) == []


async def test_lines_belong_to_whoever_owns_their_order(db: Database) -> None:
    """Staff (no owner) read every line; a customer only their orders' lines, for one id
    and many, and still once PostgreSQL has switched to a cached generic plan."""
    category = await factories.category(db)
    product, other = await factories.product(db, category), await factories.product(db, category)
    alice, bob = await factories.customer(db), await factories.customer(db)
    mine = await factories.order(db, alice, [(product, 1), (other, 2)])
    theirs = await factories.order(db, bob, [(product, 3)])
    async with db.acquire() as conn:
        for _ in range(8):  # past the five custom plans
            staff = await lines_by_order_ids(conn, ids=[mine, theirs], owner=None)
            assert [line.quantity for line in staff[mine]] == [1, 2]
            assert [line.quantity for line in staff[theirs]] == [3]
            assert list(await lines_by_order_ids(conn, ids=[theirs], owner=alice)) == []
            alices = await lines_by_order_ids(conn, ids=[mine, theirs], owner=alice)
            assert set(alices) == {mine}
            line_ids = [line.id for line in staff[mine] + staff[theirs]]
            assert len(await lines_by_ids(conn, ids=line_ids, owner=None)) == 3
            assert {
                line.order_id for line in await lines_by_ids(conn, ids=line_ids, owner=bob)
            } == {theirs}
            assert await lines_by_ids(conn, ids=line_ids[:1], owner=bob) == []
            assert len(await lines_by_ids(conn, ids=line_ids[:1], owner=alice)) == 1


async def test_a_single_id_is_served_by_a_cached_generic_plan(db: Database) -> None:
    """The reason for the twin statement: PostgreSQL stops planning `id = $1` after a few
    runs, which it never does for `id = ANY($1)` (it re-plans every one)."""
    id = await factories.product(db, await factories.category(db))
    async with db.acquire() as conn:
        for _ in range(8):
            await products_by_ids(conn, ids=[id])
        plans = await conn.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            PRODUCT.by_ids_statement.one,
        )
    assert plans is not None
    assert plans["generic_plans"] >= 1


def test_a_by_ids_statement_names_its_ids_once() -> None:
    with pytest.raises(ValueError, match="once"):
        ByIds("SELECT 1 FROM products WHERE id = $1")
    statement = ByIds("SELECT 1 FROM t WHERE id = ANY($1::uuid[]) AND $2::uuid IS NULL")
    assert statement.one == "SELECT 1 FROM t WHERE id = $1::uuid AND $2::uuid IS NULL"
