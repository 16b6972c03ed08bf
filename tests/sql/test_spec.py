"""Entity specs against the database they describe: every constraint a spec maps to an
error exists under that name, and the batch statements write each item's own columns."""

from __future__ import annotations

from decimal import Decimal

import sql.reviews  # noqa: F401  # registers its spec's constraints
from sql.errors import CONSTRAINTS
from sql.pool import Database
from sql.products import PRODUCT
from tests import factories

NAMED = """
SELECT conname FROM pg_constraint
UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'public'
"""


async def test_every_mapped_constraint_exists_under_its_name(db: Database) -> None:
    names = {r[0] for r in await db.fetch(NAMED)}
    assert set(CONSTRAINTS) - names == set()
    assert {"categories_name_key", "products_category_id_fkey", "reviews_product_id_key"} <= set(
        CONSTRAINTS
    )


async def test_a_batch_patch_sets_only_each_items_columns(db: Database) -> None:
    category = await factories.category(db)
    a = await factories.product(db, category, "A", stock=5)
    b = await factories.product(db, category, "B", stock=7)
    async with db.acquire() as conn, conn.transaction():
        rows = await PRODUCT.patch_many(
            conn,
            [(a, 1, {"price": Decimal("2.50"), "description": None}), (b, 1, {"stock": 9})],
        )
        stale = await PRODUCT.patch_many(conn, [(a, 1, {"stock": 1})])
    got = {row.name: (row.rev, row.price, row.stock, row.description) for row in rows}
    assert got["A"] == (2, Decimal("2.50"), 5, None)
    assert got["B"][0::2] == (2, 9)
    assert stale == []  # a is at rev 2 now
