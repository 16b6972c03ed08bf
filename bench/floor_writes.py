"""The floor's writes (Q4, Q5): the same transactions as our resolvers (`sql.transactions`,
`sql.products`, `sql.orders`), answered without GraphQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from bench.floor_requests import Variables
from engine.node_ids import to_global_id, uuid_of
from sql import orders, products
from sql.pool import Database
from sql.transactions import transaction


class Answer(Exception):
    """Leaves a transaction (rolling it back) with the data to answer."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__("answer")
        self.data = data


def success(field: str, name: str, node: dict[str, Any]) -> dict[str, Any]:
    """The data of a mutation's success: `field` answered with its Success member."""
    typename = field[0].upper() + field[1:] + "Success"
    return {field: {"__typename": typename, name: node}}


async def update_product(db: Database, variables: Variables) -> dict[str, Any]:
    """As resolvers.product_mutations.update_product writes it: one transaction with the
    rev-checked patch, and on a miss the row re-read inside it to say why."""
    id = uuid_of(variables["id"], type_name="Product")
    rev = variables["rev"]
    if id is None:
        return {"updateProduct": {"__typename": "NotFoundError"}}
    try:
        async with transaction(db) as conn:
            row = await products.PRODUCT.patch(
                conn, id=id, rev=rev, changes={"price": Decimal(variables["price"])}
            )
            if row is None:
                found = await products.products_by_ids(conn, ids=[id])
                current = found[0] if found else None
                if current is None or current.deleted_at is not None:
                    raise Answer({"updateProduct": {"__typename": "NotFoundError"}})
                conflict = {"__typename": "ConflictError", "expectedRev": rev}
                raise Answer({"updateProduct": {**conflict, "currentRev": current.rev}})
    except Answer as answer:
        return answer.data
    product = {"id": to_global_id("Product", row.id), "rev": row.rev, "price": str(row.price)}
    return success("updateProduct", "product", {**product, "updatedAt": row.updated_at.isoformat()})


async def place_order(db: Database, variables: Variables) -> dict[str, Any]:
    """As resolvers.orders.place_order writes it (no idempotency key): the customer and the
    products locked, stock taken, the order and its lines inserted, in one transaction."""
    input = variables["input"]
    customer = uuid_of(input["customerId"], type_name="Customer")
    lines = input["lines"]
    ids = [uuid_of(line["productId"], type_name="Product") for line in lines]
    not_found = Answer({"placeOrder": {"__typename": "NotFoundError"}})
    try:
        async with transaction(db) as conn:
            if customer is None or not await orders.lock_live_customer(conn, id=customer):
                raise not_found
            wanted: dict[UUID, int] = {}
            for id, line in zip(ids, lines, strict=True):
                if id is not None:
                    wanted[id] = wanted.get(id, 0) + line["quantity"]
            locked = {row.id: row for row in await orders.lock_products(conn, ids=sorted(wanted))}
            if any(id is None or id not in locked or locked[id].deleted_at for id in ids):
                raise not_found
            changed = await orders.shift_stock(conn, deltas={id: -q for id, q in wanted.items()})
            if len(changed) < len(wanted):
                raise Answer({"placeOrder": {"__typename": "InsufficientStockError"}})
            order, order_lines = await orders.insert_order(
                conn, customer_id=customer, lines=list(wanted.items())
            )
    except Answer as answer:
        return answer.data
    shown = [{"quantity": line.quantity, "unitPrice": str(line.unit_price)} for line in order_lines]
    number, total = order.number, str(order.total)
    node = {"id": to_global_id("Order", order.id), "number": number, "total": total, "lines": shown}
    return success("placeOrder", "order", node)
