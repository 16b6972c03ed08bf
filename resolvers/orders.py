"""Reading orders and their lines."""

from __future__ import annotations

from uuid import UUID

from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
    existing,
    live,
    plan_page,
    root_listing,
)
from resolvers.context import RequestContext
from sql import orders
from sql.customers import CustomerRow
from sql.orders import ORDERS, OrderLineRow, OrderRow
from sql.products import ProductRow

DEFAULT_ORDER = (Ordering("NUMBER"),)


async def order(ctx: RequestContext, *, id: UUID) -> OrderRow | None:
    return await live(ctx.loaders.order_by_id, id)


async def order_by_number(ctx: RequestContext, *, number: int) -> OrderRow | None:
    return await orders.live_order_by_number(ctx.db, number=number)


async def orders_listing(ctx: RequestContext, args: ConnectionArgs) -> Listing[OrderRow]:
    plan = plan_page(ctx, args, entity=ORDERS, scope="orders", default_order=DEFAULT_ORDER)
    return await root_listing(ctx, plan)


async def customer_of(ctx: RequestContext, order: OrderRow) -> CustomerRow:
    return await existing(ctx.loaders.customer_by_id, order.customer_id, what="customer")


async def lines_of(ctx: RequestContext, order: OrderRow) -> list[OrderLineRow]:
    return await ctx.loaders.lines_by_order.load(order.id)


async def line(ctx: RequestContext, *, id: UUID) -> OrderLineRow | None:
    """A line is visible while its order is."""
    row = await ctx.loaders.line_by_id.load(id)
    if row is None or await live(ctx.loaders.order_by_id, row.order_id) is None:
        return None
    return row


async def order_of_line(ctx: RequestContext, line: OrderLineRow) -> OrderRow:
    return await existing(ctx.loaders.order_by_id, line.order_id, what="order")


async def product_of_line(ctx: RequestContext, line: OrderLineRow) -> ProductRow:
    """The product as it is now, even if soft-deleted since: history stays intact."""
    return await existing(ctx.loaders.product_by_id, line.product_id, what="product")
