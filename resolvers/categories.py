"""Reading categories."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from loaders.loaders import load_all
from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
    Page,
    PagePlan,
    edge_page,
    live,
    nested_listing,
    plan_page,
    root_listing,
)
from resolvers.context import RequestContext
from resolvers.crud import Policy, Rules
from resolvers.errors import Referenced
from resolvers.products import DEFAULT_ORDER as PRODUCT_ORDER
from resolvers.validation import Description, Input, Name
from sql import categories
from sql.categories import CATEGORIES, CATEGORY, CategoryRow
from sql.pool import Connection
from sql.products import PRODUCTS, ProductRow

DEFAULT_ORDER = (Ordering("NAME"),)


async def category(ctx: RequestContext, *, id: UUID) -> CategoryRow | None:
    return await live(ctx.loaders.category_by_id, id)


async def category_by_name(ctx: RequestContext, *, name: str) -> CategoryRow | None:
    return await categories.live_category_by_name(ctx.reads, name=name)


def _plan(ctx: RequestContext, args: ConnectionArgs) -> PagePlan:
    return plan_page(ctx, args, entity=CATEGORIES, scope="categories", default_order=DEFAULT_ORDER)


async def categories_listing(ctx: RequestContext, args: ConnectionArgs) -> Listing[CategoryRow]:
    return await root_listing(ctx, _plan(ctx, args))


def category_edge(ctx: RequestContext, row: CategoryRow) -> Page[CategoryRow]:
    """`row` with its cursor in `categories` in the default ordering."""
    return edge_page(_plan(ctx, ConnectionArgs()), row)


async def products_of(
    ctx: RequestContext, category: CategoryRow, args: ConnectionArgs
) -> Listing[ProductRow]:
    """The category's live products; batched over every category in the response."""
    plan = plan_page(
        ctx, args, entity=PRODUCTS, scope="category.products", default_order=PRODUCT_ORDER
    )
    return await nested_listing(ctx, plan, parent_key="category_id", parent_id=category.id)


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
