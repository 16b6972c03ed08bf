"""placeOrder, payOrder, shipOrder, cancelOrder: each result member, stock, and races."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest

from engine.node_ids import to_global_id
from server.app import create_app
from server.settings import Settings
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient, StatementRecorder
from tests.api.mutations import errors, result
from tests.conftest import token

CURRENT = "... on Order { status rev }"  # what a ConflictError shows of the current node

ORDER = """order { id rev number status total placedAt paidAt shippedAt cancelledAt
  customer { id }
  lines { quantity unitPrice subtotal product { id rev stock } } }"""

PLACE_ERRORS = errors(
    "NotFoundError", "ValidationError", "InsufficientStockError", "IdempotencyKeyReusedError"
)
PLACE = f"""mutation($input: PlaceOrderInput!, $key: String) {{
  placeOrder(input: $input, idempotencyKey: $key) {{
    __typename ... on PlaceOrderSuccess {{ {ORDER} }} {PLACE_ERRORS} }} }}"""


def transition(name: str) -> str:
    return f"""mutation($id: ID!, $rev: Int!) {{ {name}(id: $id, rev: $rev) {{
    __typename ... on OrderTransitionSuccess {{ {ORDER} }}
    {errors("NotFoundError", "ConflictError", "InvalidTransitionError", current=CURRENT)} }} }}"""


PAY, SHIP, CANCEL = transition("payOrder"), transition("shipOrder"), transition("cancelOrder")


def gid(type_name: str, id: UUID) -> str:
    return to_global_id(type_name, id)


def order_input(customer: UUID, *lines: tuple[UUID | str, int]) -> dict[str, Any]:
    return {
        "customerId": gid("Customer", customer),
        "lines": [
            {"productId": p if isinstance(p, str) else gid("Product", p), "quantity": q}
            for p, q in lines
        ],
    }


async def stock(db: Database, product: UUID) -> int:
    value: int = await db.fetchval("SELECT stock FROM products WHERE id = $1", product)
    return value


@pytest.fixture
async def shop(db: Database) -> dict[str, UUID]:
    """A customer and three products: A (19.99, 10 in stock), B (5.00, 3), C (0.10, 0)."""
    category = await factories.category(db)
    return {
        "customer": await factories.customer(db),
        "a": await factories.product(db, category, price="19.99", stock=10),
        "b": await factories.product(db, category, price="5.00", stock=3),
        "c": await factories.product(db, category, price="0.10", stock=0),
    }


async def test_place_merges_lines_copies_prices_and_sums_the_total(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    a, b = shop["a"], shop["b"]
    placed = await result(
        client, PLACE, input=order_input(shop["customer"], (a, 2), (b, 3), (a, 3))
    )
    assert placed["__typename"] == "PlaceOrderSuccess"
    order = placed["order"]
    assert (order["rev"], order["number"], order["status"]) == (1, 1001, "PENDING")
    assert order["customer"]["id"] == gid("Customer", shop["customer"])
    assert order["total"] == "114.95"  # 5 x 19.99 + 3 x 5.00
    assert [
        (line["product"]["id"], line["quantity"], line["unitPrice"], line["subtotal"])
        for line in order["lines"]
    ] == [(gid("Product", a), 5, "19.99", "99.95"), (gid("Product", b), 3, "5.00", "15.00")]
    # The payload shows the products as the order left them: stock taken, rev moved.
    assert [(line["product"]["stock"], line["product"]["rev"]) for line in order["lines"]] == [
        (5, 2),
        (0, 2),
    ]
    positions = await db.fetch("SELECT position, quantity FROM order_lines ORDER BY position")
    assert [tuple(r) for r in positions] == [(1, 5), (2, 3)]
    # Later price changes leave the order as it was.
    await db.execute("UPDATE products SET price = 1 WHERE id = $1", a)
    read = await client.data(
        "query($id: ID!) { order(id: $id) { total lines { unitPrice } } }", {"id": order["id"]}
    )
    assert read["order"] == {
        "total": "114.95",
        "lines": [{"unitPrice": "19.99"}, {"unitPrice": "5.00"}],
    }


async def test_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    a, customer = shop["a"], shop["customer"]
    before = await factories.snapshot(db)
    failed = await result(client, PLACE, input=order_input(customer, (a, 0), (a, 1), (a, 1001)))
    assert (failed["__typename"], failed["code"]) == ("ValidationError", "VALIDATION")
    assert [(f["path"], f["code"]) for f in failed["fields"]] == [
        (["input", "lines", "0", "quantity"], "GREATER_THAN_EQUAL"),
        (["input", "lines", "2", "quantity"], "LESS_THAN_EQUAL"),
    ]
    empty = await result(client, PLACE, input=order_input(customer))
    assert [(f["path"], f["code"]) for f in empty["fields"]] == [(["input", "lines"], "TOO_SHORT")]
    many = await result(client, PLACE, input=order_input(customer, *[(a, 1)] * 101))
    assert [(f["path"], f["code"]) for f in many["fields"]] == [(["input", "lines"], "TOO_LONG")]
    assert await factories.snapshot(db) == before


async def test_a_total_beyond_what_money_holds_is_invalid(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    dear = await factories.product(
        db, await factories.category(db), price="1000000.00", stock=20_000
    )
    before = await factories.snapshot(db)
    failed = await result(client, PLACE, input=order_input(shop["customer"], *[(dear, 1000)] * 10))
    assert failed["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in failed["fields"]] == [(["input", "lines"], "TOO_LARGE")]
    assert await factories.snapshot(db) == before


async def test_missing_customer_or_product_is_not_found(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    a, b, customer = shop["a"], shop["b"], shop["customer"]
    gone = await factories.customer(db)
    await factories.soft_delete(db, "customers", gone)
    deleted = await factories.product(db, await factories.category(db))
    await factories.soft_delete(db, "products", deleted)
    before = await factories.snapshot(db)
    for bad in ("nonsense", gid("Customer", factories.BASE_UUID), gid("Customer", gone)):
        missing = await result(
            client, PLACE, input={**order_input(customer, (a, 1)), "customerId": bad}
        )
        assert (missing["__typename"], missing["nodeId"]) == ("NotFoundError", bad)
    # The first line whose product is missing, by its id as sent.
    for bad in ("nonsense", gid("Customer", customer), gid("Product", deleted)):
        missing = await result(
            client, PLACE, input=order_input(customer, (a, 1), (bad, 1), (b, 1), ("x", 1))
        )
        assert (missing["__typename"], missing["nodeId"]) == ("NotFoundError", bad)
    assert await factories.snapshot(db) == before


async def test_any_shortage_lists_every_short_line_and_writes_nothing(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    a, b, c = shop["a"], shop["b"], shop["c"]
    before = await factories.snapshot(db)
    short = await result(
        client, PLACE, input=order_input(shop["customer"], (b, 2), (a, 1), (c, 1), (b, 2))
    )
    assert (short["__typename"], short["code"]) == ("InsufficientStockError", "INSUFFICIENT_STOCK")
    assert short["items"] == [
        {"requested": 4, "available": 3, "product": {"id": gid("Product", b), "stock": 3}},
        {"requested": 1, "available": 0, "product": {"id": gid("Product", c), "stock": 0}},
    ]
    assert await factories.snapshot(db) == before


async def test_a_retry_with_the_key_returns_the_first_order(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    input = order_input(shop["customer"], (shop["a"], 2))
    first = await result(client, PLACE, input=input, key="order-1")
    retry = await result(client, PLACE, input=input, key="order-1")
    assert first["__typename"] == "PlaceOrderSuccess"
    assert retry == first
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert await stock(db, shop["a"]) == 8
    before = await factories.snapshot(db)
    other = order_input(shop["customer"], (shop["a"], 3))
    reused = await result(client, PLACE, input=other, key="order-1")
    assert (reused["__typename"], reused["key"]) == ("IdempotencyKeyReusedError", "order-1")
    assert await factories.snapshot(db) == before


async def test_pay_then_ship_stamps_each_step(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    id = gid("Order", await factories.order(db, shop["customer"], [(shop["a"], 1)]))
    paid = (await result(client, PAY, id=id, rev=1))["order"]
    assert (paid["status"], paid["rev"]) == ("PAID", 2)
    assert (paid["paidAt"] is None, paid["shippedAt"]) == (False, None)
    shipped = (await result(client, SHIP, id=id, rev=2))["order"]
    assert (shipped["status"], shipped["rev"], shipped["paidAt"]) == ("SHIPPED", 3, paid["paidAt"])
    assert (shipped["shippedAt"] is None, shipped["cancelledAt"]) == (False, None)


@pytest.mark.parametrize("status", ["PENDING", "PAID"])
async def test_cancel_restocks_every_line(
    client: GraphQLClient, db: Database, shop: dict[str, UUID], status: str
) -> None:
    a, b = shop["a"], shop["b"]
    placed = await result(client, PLACE, input=order_input(shop["customer"], (a, 4), (b, 3)))
    id, rev = placed["order"]["id"], 1
    if status == "PAID":
        rev = (await result(client, PAY, id=id, rev=1))["order"]["rev"]
    cancelled = (await result(client, CANCEL, id=id, rev=rev))["order"]
    assert (cancelled["status"], cancelled["rev"]) == ("CANCELLED", rev + 1)
    assert cancelled["cancelledAt"] is not None
    assert (cancelled["paidAt"] is not None) == (status == "PAID")
    # Placing and restocking each wrote the products once.
    assert [(line["product"]["stock"], line["product"]["rev"]) for line in cancelled["lines"]] == [
        (10, 3),
        (3, 3),
    ]
    assert (await stock(db, a), await stock(db, b)) == (10, 3)


@pytest.mark.parametrize(
    ("status", "query", "to"),
    [
        ("PENDING", SHIP, "SHIPPED"),
        ("PAID", PAY, "PAID"),
        ("SHIPPED", CANCEL, "CANCELLED"),
        ("CANCELLED", PAY, "PAID"),
        ("CANCELLED", CANCEL, "CANCELLED"),
    ],
)
async def test_a_step_the_status_does_not_allow_is_an_invalid_transition(
    client: GraphQLClient, db: Database, shop: dict[str, UUID], status: str, query: str, to: str
) -> None:
    id = gid("Order", await factories.order(db, shop["customer"], [(shop["a"], 1)], status=status))
    before = await factories.snapshot(db)
    refused = await result(client, query, id=id, rev=1)
    assert refused["__typename"] == "InvalidTransitionError"
    assert (refused["code"], refused["from"], refused["to"]) == ("INVALID_TRANSITION", status, to)
    assert await factories.snapshot(db) == before


async def test_a_stale_rev_is_a_conflict_with_the_current_order(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    id = gid("Order", await factories.order(db, shop["customer"], [(shop["a"], 1)]))
    await result(client, PAY, id=id, rev=1)
    before = await factories.snapshot(db)
    stale = await result(client, CANCEL, id=id, rev=1)
    assert (stale["__typename"], stale["code"]) == ("ConflictError", "CONFLICT")
    assert (stale["expectedRev"], stale["currentRev"]) == (1, 2)
    assert stale["current"] == {"id": id, "status": "PAID", "rev": 2}
    assert await factories.snapshot(db) == before


async def test_unknown_foreign_or_deleted_orders_are_not_found(
    client: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    deleted = await factories.order(db, shop["customer"], [(shop["a"], 1)])
    await factories.soft_delete(db, "orders", deleted)
    before = await factories.snapshot(db)
    for bad in ("nonsense", gid("Product", shop["a"]), gid("Order", deleted)):
        for query in (PAY, SHIP, CANCEL):
            missing = await result(client, query, id=bad, rev=1)
            assert (missing["__typename"], missing["nodeId"]) == ("NotFoundError", bad)
    assert await factories.snapshot(db) == before


async def test_statements_do_not_grow_with_the_lines(
    client: GraphQLClient, db: Database, recorder: StatementRecorder
) -> None:
    category = await factories.category(db)
    customer = await factories.customer(db)
    products = [await factories.product(db, category, stock=5) for _ in range(30)]
    counts = []
    for size in (1, 30):
        recorder.clear()
        placed = await result(
            client, PLACE, input=order_input(customer, *[(p, 1) for p in products[:size]])
        )
        assert len(placed["order"]["lines"]) == size
        counts.append(len(recorder.statements))
    assert counts[0] == counts[1], recorder.statements


@pytest.fixture
async def racing(database_url: str, db: Database) -> AsyncIterator[GraphQLClient]:
    """The app with a pool wide enough for real races and patient enough for long queues
    (and room for every racer at once: none is turned away as overload)."""
    settings = Settings(
        database_url=database_url,
        pool_min_size=10,
        pool_max_size=10,
        pool_acquire_timeout=30,
        max_concurrent_requests=1000,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, bearer=token("staff"))


async def test_one_hundred_orders_race_for_ten_units(
    racing: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    a = shop["a"]
    input = order_input(shop["customer"], (a, 1))
    results = await asyncio.gather(*(result(racing, PLACE, input=input) for _ in range(100)))
    kinds = Counter(r["__typename"] for r in results)
    assert kinds == {"PlaceOrderSuccess": 10, "InsufficientStockError": 90}
    # Each winner saw the stock its own decrement left: every value from 9 down to 0 once.
    left = sorted(r["order"]["lines"][0]["product"]["stock"] for r in results if "order" in r)
    assert left == list(range(10))
    assert {
        (r["items"][0]["requested"], r["items"][0]["available"]) for r in results if "items" in r
    } == {(1, 0)}
    assert await stock(db, a) == 0
    assert await db.fetchval("SELECT count(*) FROM orders") == 10


async def test_orders_over_the_same_products_in_any_order_do_not_deadlock(
    racing: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    category = await factories.category(db)
    # Enough other rows that the planner reaches products by index, in the order asked.
    await db.execute(
        "INSERT INTO products (sku, name, price, category_id)"
        " SELECT 'FILL-' || i, 'Filler', 1, $1 FROM generate_series(1, 2000) AS i",
        category,
    )
    products = [await factories.product(db, category, stock=1000) for _ in range(4)]
    existing = [
        await factories.order(db, shop["customer"], [(p, 1) for p in products]) for _ in range(10)
    ]
    places = [
        result(racing, PLACE, input=order_input(shop["customer"], *[(p, 1) for p in lines]))
        for lines in (products, products[::-1]) * 15
    ]
    cancels = [result(racing, CANCEL, id=gid("Order", id), rev=1) for id in existing]
    results = await asyncio.gather(*places, *cancels)
    assert Counter(r["__typename"] for r in results) == {
        "PlaceOrderSuccess": 30,
        "OrderTransitionSuccess": 10,
    }
    # 30 units taken, 10 put back (the factory's orders never took theirs).
    assert [await stock(db, p) for p in products] == [980] * 4


async def test_racing_retries_with_one_key_place_one_order(
    racing: GraphQLClient, db: Database, shop: dict[str, UUID]
) -> None:
    input = order_input(shop["customer"], (shop["a"], 2), (shop["b"], 1))
    results = await asyncio.gather(
        *(result(racing, PLACE, input=input, key="k") for _ in range(32))
    )
    assert results[0]["__typename"] == "PlaceOrderSuccess"
    assert all(r == results[0] for r in results)
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert (await stock(db, shop["a"]), await stock(db, shop["b"])) == (8, 2)
    assert Decimal(results[0]["order"]["total"]) == Decimal("44.98")


async def test_later_fields_of_the_same_document_see_earlier_writes(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db)
    item = await factories.product(db, category, stock=5)
    ann = await factories.customer(db, "Ann")
    input = {
        "customerId": to_global_id("Customer", ann),
        "lines": [{"productId": to_global_id("Product", item), "quantity": 1}],
    }
    data = await client.data(
        """mutation($input: PlaceOrderInput!) {
             a: placeOrder(input: $input) { ... on PlaceOrderSuccess { order {
               customer { orderCount orders { totalCount } } } } }
             b: placeOrder(input: $input) { ... on PlaceOrderSuccess { order {
               customer { orderCount orders { totalCount } } } } } }""",
        {"input": input},
    )
    assert data["a"]["order"]["customer"] == {"orderCount": 1, "orders": {"totalCount": 1}}
    assert data["b"]["order"]["customer"] == {"orderCount": 2, "orders": {"totalCount": 2}}
