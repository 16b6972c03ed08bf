"""Reading categories."""

from __future__ import annotations

from resolvers import products
from resolvers.connections import Ordering
from resolvers.crud import Policy, Rules
from resolvers.errors import Referenced
from resolvers.standard_reads import Reads, per_parent
from resolvers.validation import Description, Input, Name
from sql import categories
from sql.categories import CATEGORY, CategoryRow
from sql.pool import Connection

READS = Reads(CATEGORY, "categories", (Ordering("NAME"),))


products_of = products.READS.under(scope="category.products", key="category_id")
product_counts = per_parent(lambda loaders: loaders.product_count_by_category)


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
