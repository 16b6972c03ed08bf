"""Reading and writing customers."""

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
from resolvers.orders import DEFAULT_ORDER as ORDER_ORDER
from resolvers.validation import Email, Input, Name
from sql import customers
from sql.customers import CUSTOMER, CUSTOMERS, CustomerRow, CustomerStats
from sql.orders import ORDERS, OrderRow

DEFAULT_ORDER = (Ordering("NAME"),)


async def customer(ctx: RequestContext, *, id: UUID) -> CustomerRow | None:
    return await live(ctx.loaders.customer_by_id, id)


async def customer_by_email(ctx: RequestContext, *, email: str) -> CustomerRow | None:
    return await customers.live_customer_by_email(ctx.reads, email=email, owner=ctx.viewer.owner)


def _plan(ctx: RequestContext, args: ConnectionArgs) -> PagePlan:
    return plan_page(ctx, args, entity=CUSTOMERS, scope="customers", default_order=DEFAULT_ORDER)


async def customers_listing(ctx: RequestContext, args: ConnectionArgs) -> Listing[CustomerRow]:
    return await root_listing(ctx, _plan(ctx, args))


def customer_edge(ctx: RequestContext, row: CustomerRow) -> Page[CustomerRow]:
    """`row` with its cursor in `customers` in the default ordering."""
    return edge_page(_plan(ctx, ConnectionArgs()), row)


async def orders_of(
    ctx: RequestContext, customer: CustomerRow, args: ConnectionArgs
) -> Listing[OrderRow]:
    """The customer's live orders; batched over every customer in the response."""
    plan = plan_page(ctx, args, entity=ORDERS, scope="customer.orders", default_order=ORDER_ORDER)
    return await nested_listing(ctx, plan, parent_key="customer_id", parent_id=customer.id)


async def stats(ctx: RequestContext, customers: Sequence[CustomerRow]) -> list[CustomerStats]:
    return await load_all(ctx.loaders.customer_stats, [c.id for c in customers])


class CustomerInput(Input):
    email: Email
    name: Name


# Customers change themselves; only staff delete and restore them (a deleted customer is
# invisible to everyone else).
RULES = Rules(
    spec=CUSTOMER,
    policy=Policy(update="staff_or_owner", owner="id", words="change customers"),
    patch_model=CustomerInput,
    input_model=CustomerInput,
    taken=("email",),
)
