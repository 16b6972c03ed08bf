"""Reading categories."""

from __future__ import annotations

from collections.abc import Sequence

from loaders.loaders import load_all
from resolvers import products
from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
)
from resolvers.context import RequestContext
from resolvers.crud import Policy, Rules
from resolvers.errors import Referenced
from resolvers.standard_reads import Reads
from resolvers.validation import Description, Input, Name
from sql import categories
from sql.categories import CATEGORY, CategoryRow
from sql.pool import Connection
from sql.products import ProductRow

READS = Reads(CATEGORY, "categories", (Ordering("NAME"),))


async def products_of(
    ctx: RequestContext, category: CategoryRow, args: ConnectionArgs
) -> Listing[ProductRow]:
    """The category's live products; batched over every category in the response."""
    return await products.READS.under(
        ctx, args, scope="category.products", key="category_id", parent=category
    )


async def product_counts(ctx: RequestContext, categories: Sequence[CategoryRow]) -> list[int]:
    return await load_all(ctx.loaders.product_count_by_category, [c.id for c in categories])


class CategoryInput(Input):
    name: Name
    description: Description | None = None


async def _unreferenced(conn: Connection, rows: list[CategoryRow]) -> None:
    held = await categories.referenced(conn, ids=[row.id for row in rows])
    for row in rows:
        if row.id in held:
            raise Referenced("Category", row.id)


RULES = Rules(
    spec=CATEGORY,
    policy=Policy(words="change the catalogue"),
    patch_model=CategoryInput,
    input_model=CategoryInput,
    after_delete=_unreferenced,
    lock_to_delete=True,  # so that no product joins it meanwhile (see `sql.products`)
    taken=("name",),
)
