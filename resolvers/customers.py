"""Reading and writing customers."""

from __future__ import annotations

from collections.abc import Sequence

from loaders.loaders import load_all
from resolvers import orders
from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
)
from resolvers.context import RequestContext
from resolvers.crud import Policy, Rules
from resolvers.standard_reads import Reads
from resolvers.validation import Email, Input, Name
from sql.customers import CUSTOMER, CustomerRow, CustomerStats
from sql.orders import OrderRow

READS = Reads(CUSTOMER, "customers", (Ordering("NAME"),))


async def orders_of(
    ctx: RequestContext, customer: CustomerRow, args: ConnectionArgs
) -> Listing[OrderRow]:
    """The customer's live orders; batched over every customer in the response."""
    return await orders.READS.under(
        ctx, args, scope="customer.orders", key="customer_id", parent=customer
    )


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
