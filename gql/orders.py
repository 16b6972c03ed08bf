"""The `Order` and `OrderLine` types, the order reads and queries, and `Customer.orders`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

import strawberry

from engine.compiled.fields import batched_field
from gql.customers import Customer
from gql.entity_reads import EntityReads
from gql.filters import EQUALITY, scalar_filter
from gql.generated import attach
from gql.group_types import KeyField
from gql.node import Node, register_node
from gql.products import Product
from gql.row_types import Document, RowObject, document, relation, row_type
from resolvers import customers, orders
from resolvers.context import RequestContext
from sql.orders import OrderLineRow, OrderRow


@strawberry.enum(
    description="Where an order is in its life: PENDING → PAID → SHIPPED, or CANCELLED."
)
class OrderStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Placed, not paid yet.")
    PAID = strawberry.enum_value("PAID", description="Paid, not shipped yet.")
    SHIPPED = strawberry.enum_value("SHIPPED", description="On its way; final.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled and restocked; final.")


# A member by its text, read from a dict: `OrderStatus(text)` is a Python call through
# `EnumMeta.__call__` per order, about ten times the cost of the lookup.
_STATUS_BY_TEXT = dict(OrderStatus._value2member_map_)

OrderStatusFilter = scalar_filter(
    "OrderStatusFilter",
    OrderStatus,
    EQUALITY,
    description="Conditions on an order status; all given ones must hold.",
)


# Relations, resolved for every parent of a level at once (see `engine.compiled`).
async def _lines(ctx: RequestContext, parents: list[Order]) -> list[list[OrderLine]]:
    lines = await orders.lines_of(ctx, [o.row for o in parents])
    return [list(map(OrderLine, rows)) for rows in lines]


@document(
    description="A customer's purchase of one or more products.",
    computed={"status": lambda row: _STATUS_BY_TEXT[row.status]},
)
class Order(Document[OrderRow], Node):
    number: int = strawberry.field(description="Human-friendly order number, unique.")
    status: OrderStatus = strawberry.field(description="Where the order is in its life.")
    total: Decimal = strawberry.field(description="Sum of the lines' subtotals.")
    placed_at: datetime = strawberry.field(description="When it was placed.")
    paid_at: datetime | None = strawberry.field(description="When it was paid, if it was.")
    shipped_at: datetime | None = strawberry.field(description="When it shipped, if it did.")
    cancelled_at: datetime | None = strawberry.field(
        description="When it was cancelled, if it was."
    )

    customer = relation(
        orders.customers_of, Customer, "Who placed the order.", render=orders.CUSTOMER_OF_ORDER
    )
    lines = batched_field(
        _lines,
        returns="list[OrderLine]",
        description="What was ordered, in the order it was entered.",
        render=orders.LINES_OF_ORDER,
    )


@row_type(
    description="One product in an order, at the price it had then.",
    computed={"subtotal": lambda row: row.quantity * row.unit_price},
)
class OrderLine(RowObject[OrderLineRow], Node):
    quantity: int = strawberry.field(description="Units ordered.")
    unit_price: Decimal = strawberry.field(description="The product's price when ordered.")
    subtotal: Decimal = strawberry.field(description="Quantity times unit price.")

    order = relation(
        orders.orders_of_lines,
        Order,
        "The order this line belongs to.",
        render=orders.ORDER_OF_LINE,
    )
    product = relation(
        orders.products_of_lines,
        Product,
        "The product ordered, even if it was deleted since.",
        render=orders.PRODUCT_OF_LINE,
    )


ORDERS = EntityReads(
    Order,
    orders.READS,
    default_order="number",
    filters={"status": OrderStatusFilter},
    keys={
        "status": KeyField(OrderStatus, "Their status.", convert=OrderStatus),
        "customer": KeyField(
            Customer, "Who placed them.", convert=Customer, load=orders.customers_of_groups
        ),
    },
)


async def _line(ctx: RequestContext, id: UUID, _alone: bool = False) -> OrderLine | None:
    row = await orders.line(ctx, id=id)
    return None if row is None else OrderLine(row)


register_node(OrderLine, OrderLineRow, _line)

attach(
    Customer,
    "orders",
    ORDERS.connection_field("The customer's live orders, a page at a time.", customers.orders_of),
    before="order_count",
)

OrderQueries = ORDERS.queries(
    "Live orders, a page at a time; by number by default.",
    ORDERS.by_key(
        "number",
        "A live order by its number; null when there is none.",
        argument="The order number.",
    ),
)
