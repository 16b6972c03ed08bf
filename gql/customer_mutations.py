"""Customer mutations: their inputs, success types and result unions."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import standard_writes
from gql.context import Info
from gql.customers import Customer, CustomerQueries
from gql.error_types import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
)
from gql.generated import Part
from gql.inputs import IdempotencyKey, Rev
from gql.pagination import Edge, created, new_edge_description
from gql.standard_writes import columns_of
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


@strawberry.type(description="The customer was created.")
class CreateCustomerSuccess:
    customer: Customer = strawberry.field(description="The new customer.")
    customer_edge: Edge[Customer] = strawberry.field(description=new_edge_description("customers"))


@strawberry.type(description="The customer was changed.")
class UpdateCustomerSuccess:
    customer: Customer = strawberry.field(description="The customer as they are now.")


@strawberry.type(description="The customer was soft-deleted; their orders stay.")
class DeleteCustomerSuccess:
    customer: Customer = strawberry.field(description="The customer, with `deletedAt` set.")


@strawberry.type(description="The customer is live again.")
class RestoreCustomerSuccess:
    customer: Customer = strawberry.field(description="The restored customer.")


CreateCustomerResult = Annotated[
    CreateCustomerSuccess
    | ValidationError
    | AlreadyExistsError
    | IdempotencyKeyReusedError
    | ForbiddenError,
    strawberry.union("CreateCustomerResult", description="What createCustomer did."),
]
# No ForbiddenError: a customer may change themselves, and others are invisible to them.
UpdateCustomerResult = Annotated[
    UpdateCustomerSuccess | NotFoundError | ConflictError | ValidationError | AlreadyExistsError,
    strawberry.union("UpdateCustomerResult", description="What updateCustomer did."),
]
DeleteCustomerResult = Annotated[
    DeleteCustomerSuccess | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("DeleteCustomerResult", description="What deleteCustomer did."),
]
RestoreCustomerResult = Annotated[
    RestoreCustomerSuccess | NotFoundError | ConflictError | AlreadyExistsError | ForbiddenError,
    strawberry.union("RestoreCustomerResult", description="What restoreCustomer did."),
]

CustomerId = Annotated[strawberry.ID, strawberry.argument(description="The customer's id.")]


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Create a customer.")
    async def create_customer(
        self,
        info: Info,
        input: Annotated[CreateCustomerInput, strawberry.argument(description="The customer.")],
        idempotency_key: IdempotencyKey = None,
    ) -> CreateCustomerResult:
        return await standard_writes.create(
            info,
            customers.RULES,
            values=columns_of(input),
            idempotency_key=idempotency_key,
            success=lambda row: created(
                CreateCustomerSuccess,
                "customer",
                Customer.from_row(row),
                customers.customer_edge(info.context, row),
            ),
            result=CreateCustomerResult,
        )

    @strawberry.mutation(description="Change a customer at the revision you last saw.")
    async def update_customer(
        self,
        info: Info,
        id: CustomerId,
        rev: Rev,
        patch: Annotated[CustomerPatch, strawberry.argument(description="What to change.")],
    ) -> UpdateCustomerResult:
        return await standard_writes.update(
            info,
            customers.RULES,
            id=id,
            rev=rev,
            patch=columns_of(patch),
            success=lambda row: UpdateCustomerSuccess(customer=Customer.from_row(row)),
            result=UpdateCustomerResult,
        )

    @strawberry.mutation(description="Soft-delete a customer; their orders stay.")
    async def delete_customer(self, info: Info, id: CustomerId, rev: Rev) -> DeleteCustomerResult:
        return await standard_writes.delete(
            info,
            customers.RULES,
            id=id,
            rev=rev,
            success=lambda row: DeleteCustomerSuccess(customer=Customer.from_row(row)),
            result=DeleteCustomerResult,
        )

    @strawberry.mutation(description="Restore a soft-deleted customer.")
    async def restore_customer(self, info: Info, id: CustomerId, rev: Rev) -> RestoreCustomerResult:
        return await standard_writes.restore(
            info,
            customers.RULES,
            id=id,
            rev=rev,
            success=lambda row: RestoreCustomerSuccess(customer=Customer.from_row(row)),
            result=RestoreCustomerResult,
        )


PART = Part(CustomerQueries, CustomerMutations, (Customer,))
