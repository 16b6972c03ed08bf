"""The `Customer` type, its filter and ordering, and the customer queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from uuid import UUID

import strawberry

from engine.compiled.fields import batched_field
from engine.node_ids import uuid_of
from gql.aggregates import aggregate_kind
from gql.context import Info
from gql.filters import (
    DateTimeFilter,
    IDFilter,
    StringFilter,
)
from gql.generated import filter_input, row_constructor, sort_enum
from gql.group_types import RowsOf, group_kind
from gql.node import Node, global_id_field, register_node
from gql.pagination import connection_field, connection_type, order_by_input
from resolvers import customers
from resolvers.context import RequestContext
from sql.customers import CUSTOMERS, CustomerRow
from sql.orders import OrderRow

if TYPE_CHECKING:
    from gql.orders import Order, OrderConnection, OrderFilter, OrderOrderBy

LazyOrderConnection = Annotated[
    "OrderConnection",  # type: ignore[valid-type]  # made by `connection_type`
    strawberry.lazy("gql.orders"),
]


def _order(row: OrderRow) -> Order:
    from gql.orders import Order  # orders import customers, not the other way

    return Order.from_row(row)


def _order_connection() -> Any:
    from gql.orders import OrderConnection

    return OrderConnection


LazyOrderFilter = Annotated["OrderFilter", strawberry.lazy("gql.orders")]  # type: ignore[valid-type]


CustomerSortField = sort_enum("CustomerSortField", CUSTOMERS.sortable, what="customers")
CustomerOrderBy = order_by_input("CustomerOrderBy", CustomerSortField, what="a customer")
CustomerFilter = filter_input(
    "CustomerFilter",
    "Customer",
    {
        "id": (IDFilter, "The customer's id."),
        "email": (StringFilter, "Their email."),
        "name": (StringFilter, "Their name."),
        "created_at": (DateTimeFilter, "When they were created."),
        "has_orders": (LazyOrderFilter, "They have at least one live order matching this."),
    },
    module=__name__,
    what="customers",
)


# Figures over each customer's orders, for every customer of a level at once.
async def _order_counts(ctx: RequestContext, parents: list[Customer]) -> list[int]:
    return [s.order_count for s in await customers.stats(ctx, [c.row for c in parents])]


async def _totals_spent(ctx: RequestContext, parents: list[Customer]) -> list[Decimal]:
    return [s.total_spent for s in await customers.stats(ctx, [c.row for c in parents])]


@strawberry.type(description="Someone who buys from the store.")
class Customer(Node):
    id: strawberry.ID = global_id_field("Customer")
    rev: int = strawberry.field(description="Revision; every write bumps it by one.")
    email: str = strawberry.field(description="Email address, unique among live customers.")
    name: str = strawberry.field(description="Full name.")
    created_at: datetime = strawberry.field(description="When they were created.")
    updated_at: datetime = strawberry.field(description="When they were last written.")
    deleted_at: datetime | None = strawberry.field(
        description="When they were soft-deleted; null while live."
    )
    row: strawberry.Private[CustomerRow]
    from_row: ClassVar[Callable[[CustomerRow], Customer]]

    orders = connection_field(
        connection_type=LazyOrderConnection,
        of=_order_connection,
        filter=LazyOrderFilter,
        order_by=Annotated["OrderOrderBy", strawberry.lazy("gql.orders")],
        listing=customers.orders_of,
        to_node=_order,
        description="The customer's live orders, a page at a time.",
        what="orders",
        default_order="number",
    )

    order_count = batched_field(
        _order_counts,
        returns=int,
        description="How many orders they placed that were not cancelled.",
    )
    total_spent = batched_field(
        _totals_spent,
        returns=Decimal,
        description="The sum of the totals of their PAID and SHIPPED orders.",
    )


Customer.from_row = row_constructor(Customer)


CustomerAggregate = aggregate_kind("Customer", CUSTOMERS.measures, what="customers")
CustomerGroups = group_kind(
    "Customer",
    CUSTOMERS.measures,
    {},
    CustomerAggregate,
    what="customers",
    rows=RowsOf("CustomerConnection", __name__, CustomerOrderBy, Customer.from_row),
)
CustomerConnection = connection_type(
    "CustomerConnection", Customer, CustomerGroups, what="customers"
)


async def _fetch(ctx: RequestContext, id: UUID) -> Customer | None:
    row = await customers.READS.one(ctx, id)
    return None if row is None else Customer.from_row(row)


register_node("Customer", _fetch, row_type=CustomerRow, from_row=Customer.from_row)


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="A live customer by id; null when there is none.")
    async def customer(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a Customer.")],
    ) -> Customer | None:
        uuid = uuid_of(id, type_name="Customer")
        return None if uuid is None else await _fetch(info.context, uuid)

    @strawberry.field(description="A live customer by email (ignoring case); null when none.")
    async def customer_by_email(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="The customer's email.")],
    ) -> Customer | None:
        row = await customers.customer_by_email(info.context, email=email)
        return None if row is None else Customer.from_row(row)

    customers = connection_field(
        connection_type=CustomerConnection,
        of=lambda: CustomerConnection,
        filter=CustomerFilter,
        order_by=CustomerOrderBy,
        listing=lambda ctx, _root, args: customers.READS.listing(ctx, args),
        to_node=Customer.from_row,
        description="Live customers, a page at a time; by name by default.",
        what="customers",
        default_order="name",
    )
