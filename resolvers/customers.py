"""Reading and writing customers."""

from __future__ import annotations

from resolvers import orders
from resolvers.connections import Ordering
from resolvers.crud import Policy, Rules
from resolvers.standard_reads import Reads, per_parent
from resolvers.validation import Email, Input, Name
from sql.customers import CUSTOMER

READS = Reads(CUSTOMER, "customers", (Ordering("NAME"),))


orders_of = orders.READS.under(scope="customer.orders", key="customer_id")
stats = per_parent(lambda loaders: loaders.customer_stats)


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
