"""Reading customers."""

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
from resolvers.orders import DEFAULT_ORDER as ORDER_ORDER
from sql import customers
from sql.customers import CUSTOMERS, CustomerRow, CustomerStats
from sql.orders import ORDERS, OrderRow

DEFAULT_ORDER = (Ordering("NAME"),)


async def customer(ctx: RequestContext, *, id: UUID) -> CustomerRow | None:
    return await live(ctx.loaders.customer_by_id, id)


async def customer_by_email(ctx: RequestContext, *, email: str) -> CustomerRow | None:
    return await customers.live_customer_by_email(ctx.db, email=email)


async def customers_listing(ctx: RequestContext, args: ConnectionArgs) -> Listing[CustomerRow]:
    plan = plan_page(ctx, args, entity=CUSTOMERS, scope="customers", default_order=DEFAULT_ORDER)
    return await root_listing(ctx, plan)


async def orders_of(
    ctx: RequestContext, customer: CustomerRow, args: ConnectionArgs
) -> Listing[OrderRow]:
    """The customer's live orders; batched over every customer in the response."""
    plan = plan_page(ctx, args, entity=ORDERS, scope="customer.orders", default_order=ORDER_ORDER)
    return await nested_listing(ctx, plan, parent_key="customer_id", parent_id=customer.id)


async def stats(ctx: RequestContext, customer: CustomerRow) -> CustomerStats:
    return await ctx.loaders.customer_stats.load(customer.id)
