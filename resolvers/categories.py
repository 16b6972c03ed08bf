"""Reading categories."""

from __future__ import annotations

from uuid import UUID

from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
    live,
    nested_listing,
    plan_page,
    root_listing,
)
from resolvers.context import RequestContext
from resolvers.products import DEFAULT_ORDER as PRODUCT_ORDER
from sql import categories
from sql.categories import CATEGORIES, CategoryRow
from sql.products import PRODUCTS, ProductRow

DEFAULT_ORDER = (Ordering("NAME"),)


async def category(ctx: RequestContext, *, id: UUID) -> CategoryRow | None:
    return await live(ctx.loaders.category_by_id, id)


async def category_by_name(ctx: RequestContext, *, name: str) -> CategoryRow | None:
    return await categories.live_category_by_name(ctx.db, name=name)


async def categories_listing(ctx: RequestContext, args: ConnectionArgs) -> Listing[CategoryRow]:
    plan = plan_page(ctx, args, entity=CATEGORIES, scope="categories", default_order=DEFAULT_ORDER)
    return await root_listing(ctx, plan)


async def products_of(
    ctx: RequestContext, category: CategoryRow, args: ConnectionArgs
) -> Listing[ProductRow]:
    """The category's live products; batched over every category in the response."""
    plan = plan_page(
        ctx, args, entity=PRODUCTS, scope="category.products", default_order=PRODUCT_ORDER
    )
    return await nested_listing(ctx, plan, parent_key="category_id", parent_id=category.id)


async def product_count(ctx: RequestContext, category: CategoryRow) -> int:
    return await ctx.loaders.product_count_by_category.load(category.id)
