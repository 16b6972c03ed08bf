"""The `Order` and `OrderLine` types, the order filter and ordering, and the order queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, ClassVar
from uuid import UUID

import strawberry

from engine.compiled.fields import batched_field, objects_of
from engine.node_ids import uuid_of
from gql.aggregates import aggregate_kind
from gql.context import Info
from gql.customers import Customer, CustomerFilter
from gql.filters import (
    DateTimeFilter,
    DecimalFilter,
    IDFilter,
    IntFilter,
)
from gql.generated import filter_input, row_constructor, sort_enum
from gql.group_types import KeyField, RowsOf, group_kind
from gql.node import Node, global_id_field, register_node
from gql.pagination import connection_field, connection_type, order_by_input
from gql.products import Product
from resolvers import orders
from resolvers.context import RequestContext
from sql.orders import ORDERS, OrderLineRow, OrderRow


@strawberry.enum(
    description="Where an order is in its life: PENDING → PAID → SHIPPED, or CANCELLED."
)
class OrderStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Placed, not paid yet.")
    PAID = strawberry.enum_value("PAID", description="Paid, not shipped yet.")
    SHIPPED = strawberry.enum_value("SHIPPED", description="On its way; final.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled and restocked; final.")


@strawberry.input(description="Conditions on an order status; all given ones must hold.")
class OrderStatusFilter:
    eq: OrderStatus | None = strawberry.field(default=None, description="Equal to.")
    neq: OrderStatus | None = strawberry.field(default=None, description="Not equal to.")
    in_: list[OrderStatus] | None = strawberry.field(
        default=None, name="in", description="Equal to one of."
    )
    nin: list[OrderStatus] | None = strawberry.field(default=None, description="Equal to none of.")


OrderSortField = sort_enum("OrderSortField", ORDERS.sortable, what="orders")
OrderOrderBy = order_by_input("OrderOrderBy", OrderSortField, what="an order")
OrderFilter = filter_input(
    "OrderFilter",
    "Order",
    {
        "id": (IDFilter, "The order's id."),
        "number": (IntFilter, "Its number."),
        "status": (OrderStatusFilter, "Its status."),
        "total": (DecimalFilter, "Its total."),
        "placed_at": (DateTimeFilter, "When it was placed."),
        "customer": (CustomerFilter, "Its customer matches this."),
    },
    module=__name__,
    what="orders",
)


# Relations, resolved for every parent of a level at once (see `engine.compiled`).
async def _customers(ctx: RequestContext, parents: list[Order]) -> list[Customer]:
    rows = await orders.customers_of(ctx, [o.row for o in parents])
    return objects_of(rows, Customer.from_row)


async def _lines(ctx: RequestContext, parents: list[Order]) -> list[list[OrderLine]]:
    lines = await orders.lines_of(ctx, [o.row for o in parents])
    return [[OrderLine.from_row(r) for r in rows] for rows in lines]


async def _orders_of_lines(ctx: RequestContext, parents: list[OrderLine]) -> list[Order]:
    rows = await orders.orders_of_lines(ctx, [line.row for line in parents])
    return objects_of(rows, Order.from_row)


def _subtotals(_ctx: RequestContext, parents: list[OrderLine]) -> list[Decimal]:
    """Worked out only when asked for: most queries of lines do not show it."""
    return [line.row.quantity * line.row.unit_price for line in parents]


async def _products_of_lines(ctx: RequestContext, parents: list[OrderLine]) -> list[Product]:
    rows = await orders.products_of_lines(ctx, [line.row for line in parents])
    return objects_of(rows, Product.from_row)


@strawberry.type(description="A customer's purchase of one or more products.")
class Order(Node):
    id: strawberry.ID = global_id_field("Order")
    rev: int = strawberry.field(description="Revision; every write bumps it by one.")
    number: int = strawberry.field(description="Human-friendly order number, unique.")
    status: OrderStatus = strawberry.field(description="Where the order is in its life.")
    total: Decimal = strawberry.field(description="Sum of the lines' subtotals.")
    placed_at: datetime = strawberry.field(description="When it was placed.")
    paid_at: datetime | None = strawberry.field(description="When it was paid, if it was.")
    shipped_at: datetime | None = strawberry.field(description="When it shipped, if it did.")
    cancelled_at: datetime | None = strawberry.field(
        description="When it was cancelled, if it was."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it was last written.")
    deleted_at: datetime | None = strawberry.field(
        description="When it was soft-deleted; null while live."
    )
    row: strawberry.Private[OrderRow]
    from_row: ClassVar[Callable[[OrderRow], Order]]

    customer = batched_field(
        _customers,
        returns=Customer,
        description="Who placed the order.",
    )
    lines = batched_field(
        _lines,
        returns="list[OrderLine]",
        description="What was ordered, in the order it was entered.",
    )


Order.from_row = row_constructor(Order, status=OrderStatus)


@strawberry.type(description="One product in an order, at the price it had then.")
class OrderLine(Node):
    id: strawberry.ID = global_id_field("OrderLine")
    quantity: int = strawberry.field(description="Units ordered.")
    unit_price: Decimal = strawberry.field(description="The product's price when ordered.")
    subtotal = batched_field(_subtotals, returns=Decimal, description="Quantity times unit price.")
    row: strawberry.Private[OrderLineRow]

    order = batched_field(
        _orders_of_lines,
        returns=Order,
        description="The order this line belongs to.",
    )
    product = batched_field(
        _products_of_lines,
        returns=Product,
        description="The product ordered, even if it was deleted since.",
    )

    @classmethod
    def from_row(cls, row: OrderLineRow) -> OrderLine:
        return cls(
            quantity=row.quantity,
            unit_price=row.unit_price,
            row=row,
        )


OrderAggregate = aggregate_kind("Order", ORDERS.measures, what="orders")
OrderGroups = group_kind(
    "Order",
    ORDERS.measures,
    {
        "status": KeyField(OrderStatus, "Their status.", convert=OrderStatus),
        "customer": KeyField(
            Customer,
            "Who placed them.",
            convert=Customer.from_row,
            load=orders.customers_of_groups,
        ),
    },
    OrderAggregate,
    what="orders",
    rows=RowsOf("OrderConnection", __name__, OrderOrderBy, Order.from_row),
)
OrderConnection = connection_type("OrderConnection", Order, OrderGroups, what="orders")


async def _fetch_order(ctx: RequestContext, id: UUID) -> Order | None:
    row = await orders.READS.one(ctx, id)
    return None if row is None else Order.from_row(row)


async def _fetch_line(ctx: RequestContext, id: UUID) -> OrderLine | None:
    row = await orders.line(ctx, id=id)
    return None if row is None else OrderLine.from_row(row)


register_node("Order", _fetch_order, row_type=OrderRow, from_row=Order.from_row)
register_node("OrderLine", _fetch_line, row_type=OrderLineRow, from_row=OrderLine.from_row)


@strawberry.type
class OrderQueries:
    @strawberry.field(description="A live order by id; null when there is none.")
    async def order(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of an Order.")],
    ) -> Order | None:
        uuid = uuid_of(id, type_name="Order")
        return None if uuid is None else await _fetch_order(info.context, uuid)

    @strawberry.field(description="A live order by its number; null when there is none.")
    async def order_by_number(
        self,
        info: Info,
        number: Annotated[int, strawberry.argument(description="The order number.")],
    ) -> Order | None:
        row = await orders.order_by_number(info.context, number=number)
        return None if row is None else Order.from_row(row)

    orders = connection_field(
        connection_type=OrderConnection,
        of=lambda: OrderConnection,
        filter=OrderFilter,
        order_by=OrderOrderBy,
        listing=lambda ctx, _root, args: orders.READS.listing(ctx, args),
        to_node=Order.from_row,
        description="Live orders, a page at a time; by number by default.",
        what="orders",
        default_order="number",
    )
