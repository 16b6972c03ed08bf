"""Reading products."""

from __future__ import annotations

from uuid import UUID

from resolvers.context import RequestContext
from resolvers.pages import Page, PageArgs, build_page, plan_page
from sql import products
from sql.categories import CategoryRow
from sql.keyset import SortKey, with_tiebreak
from sql.products import ProductRow

DEFAULT_ORDER = with_tiebreak([SortKey(products.SORTABLE["NAME"])])


async def product(ctx: RequestContext, *, id: UUID) -> ProductRow | None:
    """A live product; soft-deleted ones are not found."""
    row = await ctx.loaders.product_by_id.load(id)
    return row if row is not None and row.deleted_at is None else None


async def product_by_sku(ctx: RequestContext, *, sku: str) -> ProductRow | None:
    row = await products.live_product_by_sku(ctx.db, sku=sku)
    if row is not None:
        ctx.loaders.product_by_id.prime_row(row)
    return row


async def products_page(ctx: RequestContext, *, page: PageArgs) -> Page[ProductRow]:
    plan = plan_page(page, order=DEFAULT_ORDER, scope="products", limits=ctx.page_limits)
    result = await products.live_products_page(
        ctx.db,
        order=plan.order,
        after=plan.cursor_values,
        backward=plan.backward,
        limit=plan.limit,
    )
    for row in result.records:
        ctx.loaders.product_by_id.prime_row(row)
    return build_page(plan, result)


async def count_products(ctx: RequestContext) -> int:
    return await products.count_live_products(ctx.db)


async def category_of(ctx: RequestContext, product: ProductRow) -> CategoryRow:
    """The product's category, even when soft-deleted: a product always has one."""
    row = await ctx.loaders.category_by_id.load(product.category_id)
    if row is None:  # the foreign key makes this impossible
        raise LookupError(f"category {product.category_id} of product {product.id} is missing")
    return row
