"""Reading products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
    Page,
    PagePlan,
    edge_page,
    existing,
    live,
    plan_page,
    root_listing,
)
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.groups import related_rows
from sql import products
from sql.builder import SortKey
from sql.categories import CategoryRow
from sql.products import MAX_SEARCH_CHARS, PRODUCTS, SEARCH_MATCH, SEARCH_RANK, ProductRow

DEFAULT_ORDER = (Ordering("NAME"),)


async def product(ctx: RequestContext, *, id: UUID) -> ProductRow | None:
    return await live(ctx.loaders.product_by_id, id)


async def product_by_sku(ctx: RequestContext, *, sku: str) -> ProductRow | None:
    return await products.live_product_by_sku(ctx.reads, sku=sku)


async def products_listing(
    ctx: RequestContext, args: ConnectionArgs, *, search: str | None = None
) -> Listing[ProductRow]:
    """Live products; with `search`, only matches, ranked by relevance unless `orderBy`
    says otherwise."""
    extra: dict[str, Any] = {}
    if search is not None and len(search) > MAX_SEARCH_CHARS:
        raise BadUserInput(f"`search` is at most {MAX_SEARCH_CHARS} characters (got {len(search)})")
    if search is not None and search.strip():
        extra = {
            "where": (SEARCH_MATCH,),
            "extra_args": (search,),
            "leading": (SortKey(SEARCH_RANK.expression, float, descending=True),),
        }
    return await root_listing(ctx, _plan(ctx, args, **extra))


def _plan(ctx: RequestContext, args: ConnectionArgs, **extra: Any) -> PagePlan:
    return plan_page(
        ctx, args, entity=PRODUCTS, scope="products", default_order=DEFAULT_ORDER, **extra
    )


def product_edge(ctx: RequestContext, row: ProductRow) -> Page[ProductRow]:
    """`row` with its cursor in `products` in the default ordering (no search)."""
    return edge_page(_plan(ctx, ConnectionArgs()), row)


async def categories_of(ctx: RequestContext, products: Sequence[ProductRow]) -> list[CategoryRow]:
    ids = [p.category_id for p in products]
    return await existing(ctx.loaders.category_by_id, ids, what="category")


async def categories_of_groups(ctx: RequestContext, ids: list[UUID | None]) -> list[Any]:
    """The categories groups of products are keyed by."""
    return await related_rows(ctx.loaders.category_by_id, ids)
