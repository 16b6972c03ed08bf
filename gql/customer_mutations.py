"""Customer mutations: their inputs; the mutations themselves are the standard ones."""

from __future__ import annotations

import strawberry

from gql.customers import Customer, CustomerQueries
from gql.generated import Part
from gql.standard_mutations import standard_mutations
from resolvers import customers


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    email: str = strawberry.field(
        description="A valid email address of at most 254 characters, unique (ignoring case) "
        "among live customers."
    )
    name: str = strawberry.field(description="Full name, 1-200 characters.")


@strawberry.input(description="Changes to a customer: omitted fields stay as they are.")
class CustomerPatch:
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new email address (null is not allowed)."
    )
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new name (null is not allowed)."
    )


CustomerMutations = standard_mutations(
    Customer,
    customers.RULES,
    create_input=CreateCustomerInput,
    patch_input=CustomerPatch,
    edge=customers.READS.edge,
    connection="customers",
    texts={
        "UpdateField": "The customer as they are now.",
        "Delete": "Soft-delete a customer; their orders stay.",
        "DeleteSuccess": "The customer was soft-deleted; their orders stay.",
    },
)

PART = Part(CustomerQueries, CustomerMutations, (Customer,))
