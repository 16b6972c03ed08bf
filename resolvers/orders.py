"""Orders: reading them and their lines, placing them, and moving them through their life."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from loaders.batching import load_all
from resolvers import order_states
from resolvers.connections import Ordering
from resolvers.context import RequestContext, UnitOfWork
from resolvers.errors import Forbidden, Invalid, NotFound, OutOfStock, Problem, Shortage
from resolvers.groups import related_rows
from resolvers.standard_reads import Reads, existing, live
from resolvers.validation import Input, Quantity, parse
from resolvers.viewer import allow
from resolvers.writes import explain_miss, idempotent, write
from sql import orders
from sql.customers import CUSTOMER, CustomerRow
from sql.orders import ORDER, OrderLineRow, OrderRow
from sql.pool import Connection
from sql.products import PRODUCT, ProductRow
from sql.rendered import Source
from sql.rows import row_from_json, row_to_json

READS = Reads(ORDER, "orders", (Ordering("NUMBER"),))

# The rows each relation below reads, for the database to render (`sql.rendered`): the
# loaders' own statements, so visibility is decided in one place.
CUSTOMER_OF_ORDER = Source(CUSTOMER.by_ids_statement, key="customer_id")
LINES_OF_ORDER = Source(orders.LINES_BY_ORDER, key="id", order=("position",), match="order_id")
ORDER_OF_LINE = Source(ORDER.by_ids_statement, key="order_id")
PRODUCT_OF_LINE = Source(PRODUCT.by_ids_statement, key="product_id")


async def customers_of(ctx: RequestContext, orders: Sequence[OrderRow]) -> list[CustomerRow]:
    ids = [o.customer_id for o in orders]
    return await existing(ctx.loaders.by_id(CUSTOMER), ids, what="customer")


async def lines_of(ctx: RequestContext, orders: Sequence[OrderRow]) -> list[list[OrderLineRow]]:
    return await load_all(ctx.loaders.lines_by_order, [o.id for o in orders])


async def line(ctx: RequestContext, *, id: UUID) -> OrderLineRow | None:
    """A line is visible while its order is."""
    row = await ctx.loaders.line_by_id.load(id)
    if row is None or await live(ctx.loaders.by_id(ORDER), row.order_id) is None:
        return None
    return row


async def orders_of_lines(ctx: RequestContext, lines: Sequence[OrderLineRow]) -> list[OrderRow]:
    ids = [line.order_id for line in lines]
    return await existing(ctx.loaders.by_id(ORDER), ids, what="order")


async def products_of_lines(ctx: RequestContext, lines: Sequence[OrderLineRow]) -> list[ProductRow]:
    """The products as they are now, even if soft-deleted since: history stays intact."""
    ids = [line.product_id for line in lines]
    return await existing(ctx.loaders.by_id(PRODUCT), ids, what="product")


class OrderLineInput(Input):
    product_id: str
    quantity: Quantity


class PlaceOrderInput(Input):
    customer_id: str
    lines: Annotated[list[OrderLineInput], Field(min_length=1, max_length=100)]


MAX_TOTAL = Decimal("9999999999.99")  # what numeric(12,2) holds


@dataclass(frozen=True, slots=True)
class Placed:
    """What placing wrote, to prime the loaders with; a replay knows only the order."""

    order: OrderRow
    lines: list[OrderLineRow] | None = None
    products: Sequence[ProductRow] = ()


async def place_order(
    work: UnitOfWork,
    *,
    input: Mapping[str, Any],
    customer_id: UUID | None,
    product_ids: Sequence[UUID | None],
    idempotency_key: str | None = None,
) -> OrderRow:
    """`input` is as the client sent it; `customer_id` and `product_ids` (one per line)
    are its ids decoded, None where an id is not one of a Customer or Product."""
    viewer = work.viewer
    if viewer.role == "anonymous":
        raise Forbidden("sign in to place orders")
    data = parse(PlaceOrderInput, input, path=("input",))
    if not viewer.is_staff and customer_id != viewer.customer_id:
        # Customers order for themselves; anyone else is invisible to them.
        raise NotFound("Customer", None, raw_id=data.customer_id)
    async with write(work, values=input) as conn:
        placed = await idempotent(
            work,
            conn,
            operation="placeOrder",
            key=idempotency_key,
            arguments=input,
            run=lambda: _place(conn, data, customer_id=customer_id, product_ids=product_ids),
            encode=lambda done: row_to_json(done.order),
            decode=lambda stored: Placed(row_from_json(OrderRow, stored)),
        )
    work.loaders.by_id(ORDER).prime_row(placed.order)
    if placed.lines is not None:
        work.loaders.lines_by_order.clear(placed.order.id).prime(placed.order.id, placed.lines)
        for line_row in placed.lines:
            work.loaders.line_by_id.prime_row(line_row)
    for product in placed.products:
        work.loaders.by_id(PRODUCT).prime_row(product)
    return placed.order


async def _place(
    conn: Connection,
    data: PlaceOrderInput,
    *,
    customer_id: UUID | None,
    product_ids: Sequence[UUID | None],
) -> Placed:
    if customer_id is None or not await orders.lock_live_customer(conn, id=customer_id):
        raise NotFound("Customer", None, raw_id=data.customer_id)
    # Lines of the same product merge into the first one's place.
    wanted: dict[UUID, int] = {}
    for id, line_input in zip(product_ids, data.lines, strict=True):
        if id is not None:
            wanted[id] = wanted.get(id, 0) + line_input.quantity
    locked = {row.id: row for row in await orders.lock_products(conn, ids=sorted(wanted))}
    for id, line_input in zip(product_ids, data.lines, strict=True):
        if id is None or id not in locked or locked[id].deleted_at is not None:
            raise NotFound("Product", None, raw_id=line_input.product_id)
    if sum(locked[id].price * quantity for id, quantity in wanted.items()) > MAX_TOTAL:
        problem = Problem(("input", "lines"), f"the total would exceed {MAX_TOTAL}", "TOO_LARGE")
        raise Invalid([problem])
    changed = await orders.shift_stock(conn, deltas={id: -q for id, q in wanted.items()})
    if len(changed) < len(wanted):
        taken = {row.id for row in changed}
        raise OutOfStock(
            [
                Shortage(locked[id], requested=quantity, available=locked[id].stock)
                for id, quantity in wanted.items()
                if id not in taken
            ]
        )
    order, lines = await orders.insert_order(
        conn, customer_id=customer_id, lines=list(wanted.items())
    )
    return Placed(order, lines, changed)


async def pay_order(work: UnitOfWork, *, id: UUID, rev: int) -> OrderRow:
    return await _move(work, id=id, rev=rev, to="PAID")


async def ship_order(work: UnitOfWork, *, id: UUID, rev: int) -> OrderRow:
    return await _move(work, id=id, rev=rev, to="SHIPPED")


async def cancel_order(work: UnitOfWork, *, id: UUID, rev: int) -> OrderRow:
    """Cancels and puts every line's units back into stock, in one transaction."""
    return await _move(work, id=id, rev=rev, to="CANCELLED")


async def _move(work: UnitOfWork, *, id: UUID, rev: int, to: str) -> OrderRow:
    restocked: list[ProductRow] = []
    async with write(work) as conn:
        if not work.viewer.is_staff:
            # Customers may cancel their own orders; paying and shipping is staff's work.
            mine = await orders.orders_by_ids(conn, ids=[id], owner=work.viewer.owner)
            visible = bool(mine) and mine[0].deleted_at is None
            allow(
                permitted=visible and to in order_states.CUSTOMER_MAY,
                visible=visible,
                type_name="Order",
                id=id,
                action=f"move orders to {to}",
            )
        row = await orders.transition_order(
            conn, id=id, rev=rev, to=to, sources=order_states.sources(to)
        )
        if row is None:
            found = await orders.orders_by_ids(conn, ids=[id], owner=work.viewer.owner)
            current = found[0] if found else None
            if current is not None and current.deleted_at is None and current.rev == rev:
                order_states.check(current.status, to)
            explain_miss(current, type_name="Order", id=id, expected_rev=rev)
        if to in order_states.RESTOCKS:
            await orders.lock_order_products(conn, id=id)
            restocked = await orders.restock_order(conn, id=id)
    work.loaders.by_id(ORDER).prime_row(row)
    for product in restocked:
        work.loaders.by_id(PRODUCT).prime_row(product)
    return row


async def customers_of_groups(ctx: RequestContext, ids: list[UUID | None]) -> list[Any]:
    """The customers groups of orders are keyed by."""
    return await related_rows(ctx.loaders.by_id(CUSTOMER), ids)
