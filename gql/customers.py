"""The `Customer` type, its reads and queries, and its mutations (the standard ones)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gql.entity_reads import EntityReads
from gql.generated import Part, create_input, patch_input
from gql.node import Node
from gql.row_types import Document, document, figure
from gql.standard_mutations import standard_mutations
from resolvers import customers
from sql.customers import CUSTOMER, CustomerRow


@document(description="Someone who buys from the store.", they=True)
class Customer(Document[CustomerRow], Node):
    email: str = strawberry.field(description="Email address, unique among live customers.")
    name: str = strawberry.field(description="Full name.")

    # `orders` is declared with orders (`gql.orders`), before these.
    # Figures over their orders, read once for both.
    order_count = figure(
        customers.stats,
        int,
        "How many orders they placed that were not cancelled.",
        pick="order_count",
    )
    total_spent = figure(
        customers.stats,
        Decimal,
        "The sum of the totals of their PAID and SHIPPED orders.",
        pick="total_spent",
    )


CUSTOMERS = EntityReads(
    Customer,
    customers.READS,
    default_order="name",
    texts={"has_orders": "They have at least one live order matching this."},
)

CustomerQueries = CUSTOMERS.queries(
    "Live customers, a page at a time; by name by default.",
    CUSTOMERS.by_key(
        "email",
        "A live customer by email (ignoring case); null when none.",
    ),
)

CustomerMutations = standard_mutations(
    CUSTOMERS,
    customers.RULES,
    create_input=create_input(
        CUSTOMER,
        {
            "email": "A valid email address of at most 254 characters, unique (ignoring case) "
            "among live customers.",
            "name": "Full name, 1-200 characters.",
        },
    ),
    patch_input=patch_input(CUSTOMER, {"email": "A new email address (null is not allowed)."}),
    texts={
        "UpdateField": "The customer as they are now.",
        "Delete": "Soft-delete a customer; their orders stay.",
        "DeleteSuccess": "The customer was soft-deleted; their orders stay.",
    },
)

PART = Part(CustomerQueries, CustomerMutations, (Customer,))
