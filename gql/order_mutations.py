"""The order mutations: placing an order and moving it through its life."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

import strawberry

from engine.node_ids import uuid_of
from gql.context import Info
from gql.error_types import (
    ConflictError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    InsufficientStockError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    outcome,
    result_union,
)
from gql.generated import Part
from gql.inputs import IdempotencyKey, Rev, provided, target
from gql.orders import Order, OrderLine, OrderQueries
from gql.pagination import created
from gql.standard_mutations import success_type
from resolvers import orders
from resolvers.context import RequestContext
from sql.orders import OrderRow


@strawberry.input(description="One product of a new order and how many units of it.")
class OrderLineInput:
    product_id: strawberry.ID = strawberry.field(description="Global id of a live Product.")
    quantity: int = strawberry.field(description="Units to order, 1-1,000.")


@strawberry.input(description="A new order.")
class PlaceOrderInput:
    customer_id: strawberry.ID = strawberry.field(
        description="Global id of the live Customer who orders."
    )
    lines: list[OrderLineInput] = strawberry.field(
        description="1-100 lines, kept in this order; lines of the same product are merged "
        "into the first one, their quantities summed."
    )


PlaceOrderSuccess = success_type(
    "PlaceOrderSuccess",
    "order",
    Order,
    ("The order was placed and its stock taken.", "The new order, PENDING."),
    "orders",
)
OrderTransitionSuccess = success_type(
    "OrderTransitionSuccess",
    "order",
    Order,
    ("The order moved to its new status.", "The order as it is now."),
)
PlaceOrderResult = result_union(
    PlaceOrderSuccess,
    NotFoundError,
    ValidationError,
    InsufficientStockError,
    IdempotencyKeyReusedError,
    ForbiddenError,
)
OrderTransitionResult = result_union(
    OrderTransitionSuccess,
    NotFoundError,
    ConflictError,
    InvalidTransitionError,
    ForbiddenError,
    what="payOrder, shipOrder or cancelOrder",
)

OrderId = Annotated[strawberry.ID, strawberry.argument(description="The order's id.")]
Move = Callable[..., Awaitable[OrderRow]]


def _transition(move: Move, description: str) -> Any:
    """A mutation moving an order to another status, at the revision the client saw."""

    async def resolve(self: Any, info: Info, id: str, rev: int) -> Any:
        async def work() -> OrderRow:
            uuid = target(id, type_name="Order")
            return await move(info.context.unit_of_work(), id=uuid, rev=rev)

        return await outcome(
            work(),
            lambda row: OrderTransitionSuccess(order=Order(row)),
            result=OrderTransitionResult,
        )

    resolve.__annotations__ = {
        "info": Info,
        "id": OrderId,
        "rev": Rev,
        "return": OrderTransitionResult,
    }
    return strawberry.mutation(resolver=resolve, description=description)


def _place(
    ctx: RequestContext, input: PlaceOrderInput, idempotency_key: str | None
) -> Awaitable[OrderRow]:
    product_ids: list[UUID | None] = [
        uuid_of(line.product_id, type_name="Product") for line in input.lines
    ]
    return orders.place_order(
        ctx.unit_of_work(),
        input=provided(input),
        customer_id=uuid_of(input.customer_id, type_name="Customer"),
        product_ids=product_ids,
        idempotency_key=idempotency_key,
    )


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Place an order in one transaction: every product must be live and in "
        "stock; stock is taken, prices are copied, the total is summed. Any shortage "
        "writes nothing and lists every short line."
    )
    async def place_order(
        self,
        info: Info,
        input: Annotated[PlaceOrderInput, strawberry.argument(description="The order.")],
        idempotency_key: IdempotencyKey = None,
    ) -> PlaceOrderResult:  # type: ignore[valid-type]
        return await outcome(
            _place(info.context, input, idempotency_key),
            lambda row: created(
                PlaceOrderSuccess,
                "order",
                Order(row),
                orders.READS.edge(info.context, row),
            ),
            result=PlaceOrderResult,
        )

    pay_order = _transition(orders.pay_order, "Record the payment of a PENDING order.")
    ship_order = _transition(orders.ship_order, "Ship a PAID order.")
    cancel_order = _transition(
        orders.cancel_order,
        "Cancel a PENDING or PAID order and put its units back into stock.",
    )


PART = Part(OrderQueries, OrderMutations, (Order, OrderLine))
