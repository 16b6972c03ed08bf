"""A state machine over the write API, with the store's invariants checked after every step.

Steps: create, update, delete and restore products; adjust stock; place and cancel orders.
After each: no stock is negative; for every product, stock + units in orders that are not
cancelled - the sum of successful stock adjustments equals the stock it was created with;
and every successful write moved the written document's rev by exactly one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from server.app import create_app
from server.settings import Settings
from tests.api.mutations import Documents
from tests.conftest import DOMAIN_TABLES, over_the_app, token

PRODUCT = "product { id rev stock deletedAt }"
STANDARD = Documents("Product", "id rev stock deletedAt", "rev")


@dataclass
class Product:
    id: str
    rev: int
    initial: int
    adjusted: int = 0
    deleted: bool = False


@dataclass
class Order:
    id: str
    rev: int
    status: str
    lines: dict[str, int] = field(default_factory=dict)


class Store(RuleBasedStateMachine):
    """The model; `api` runs GraphQL on a real app bound to the test database."""

    database_url: str = ""
    products = Bundle("products")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.app = create_app(Settings(database_url=self.database_url, pool_min_size=1))
        self.lifespan = self.app.router.lifespan_context(self.app)
        self.loop.run_until_complete(self.lifespan.__aenter__())
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://machine"
        )
        self.model: dict[str, Product] = {}
        self.orders: dict[str, Order] = {}
        self.counter = 0
        self.category_id = ""
        self.customer_id = ""

    def teardown(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.run_until_complete(self.lifespan.__aexit__(None, None, None))
        self.loop.close()

    def api(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.loop.run_until_complete(
            self.http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token('staff')}"},
            )
        )
        body = response.json()
        assert "errors" not in body, body
        [result] = body["data"].values()
        assert isinstance(result, dict)
        return result

    def sql(self, query: str) -> list[Any]:
        async def run() -> list[Any]:
            async with self.app.state.pool.acquire() as conn:
                return list(await conn.fetch(query))

        return self.loop.run_until_complete(run())

    @initialize()
    def start(self) -> None:
        self.sql(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")
        self.category_id = self.api(
            'mutation { createCategory(input: {name: "Things"}) { '
            "... on CreateCategorySuccess { category { id } } } }"
        )["category"]["id"]
        self.customer_id = self.api(
            'mutation { createCustomer(input: {email: "m@example.com", name: "M"}) { '
            "... on CreateCustomerSuccess { customer { id } } } }"
        )["customer"]["id"]

    @rule(target=products, stock=st.integers(min_value=0, max_value=5))
    def create_product(self, stock: int) -> str:
        self.counter += 1
        result = self.api(
            f"""mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{
                __typename ... on CreateProductSuccess {{ {PRODUCT} }} }} }}""",
            input={
                "sku": f"SM-{self.counter:04d}",
                "name": f"Thing {self.counter}",
                "price": "2.50",
                "stock": stock,
                "categoryId": self.category_id,
            },
        )
        assert result["__typename"] == "CreateProductSuccess"
        product = result["product"]
        assert product["rev"] == 1
        self.model[product["id"]] = Product(product["id"], 1, initial=stock)
        return str(product["id"])

    @rule(id=products, stale=st.booleans())
    def update_product(self, id: str, stale: bool) -> None:
        known = self.model[id]
        rev = known.rev - 1 if stale else known.rev
        result = self.api(
            f"""mutation($id: ID!, $rev: Int!) {{ updateProduct(id: $id, rev: $rev,
                patch: {{price: "3.00"}}) {{ __typename ... on UpdateProductSuccess {{ {PRODUCT} }}
                ... on ConflictError {{ currentRev }} }} }}""",
            id=id,
            rev=rev,
        )
        if known.deleted:
            assert result["__typename"] == "NotFoundError"
        elif stale:
            assert result == {"__typename": "ConflictError", "currentRev": known.rev}
        else:
            assert result["product"]["rev"] == known.rev + 1
            known.rev += 1

    def at_known_rev(self, query: str, id: str) -> tuple[Product, dict[str, Any]]:
        """The product as the model knows it, and the result of `query` at its rev."""
        known = self.model[id]
        return known, self.api(query, id=id, rev=known.rev)

    @rule(id=products)
    def delete_product(self, id: str) -> None:
        known, result = self.at_known_rev(STANDARD.delete, id)
        if known.deleted:
            assert result["__typename"] == "NotFoundError"
            return
        assert result["product"]["rev"] == known.rev + 1
        known.rev += 1
        known.deleted = True

    @rule(id=products)
    def restore_product(self, id: str) -> None:
        known, result = self.at_known_rev(STANDARD.restore, id)
        assert result["__typename"] == "RestoreProductSuccess"
        if known.deleted:
            assert result["product"]["rev"] == known.rev + 1
            known.rev += 1
            known.deleted = False
        else:  # restoring a live product changes nothing
            assert result["product"]["rev"] == known.rev

    @rule(id=products, delta=st.integers(min_value=-4, max_value=4))
    def adjust_stock(self, id: str, delta: int) -> None:
        known = self.model[id]
        result = self.api(
            f"""mutation($id: ID!, $delta: Int!) {{ adjustStock(id: $id, delta: $delta) {{
                __typename ... on AdjustStockSuccess {{ {PRODUCT} }} }} }}""",
            id=id,
            delta=delta,
        )
        if result["__typename"] == "AdjustStockSuccess":
            assert not known.deleted
            assert result["product"]["rev"] == known.rev + 1
            known.rev += 1
            known.adjusted += delta
        else:
            assert known.deleted or delta < 0, result

    @rule(
        picks=st.lists(
            st.tuples(products, st.integers(min_value=1, max_value=3)), min_size=1, max_size=3
        )
    )
    def place_order(self, picks: list[tuple[str, int]]) -> None:
        result = self.api(
            """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
                __typename ... on PlaceOrderSuccess { order { id rev status
                  lines { quantity product { id rev } } } } } }""",
            input={
                "customerId": self.customer_id,
                "lines": [{"productId": p, "quantity": q} for p, q in picks],
            },
        )
        if result["__typename"] != "PlaceOrderSuccess":
            assert result["__typename"] in ("InsufficientStockError", "NotFoundError"), result
            return
        order = result["order"]
        lines: dict[str, int] = {}
        for line in order["lines"]:
            lines[line["product"]["id"]] = line["quantity"]
        for product_id in lines:
            known = self.model[product_id]
            assert not known.deleted
            # The decrement is a write of the product: its rev moves by one.
            known.rev += 1
        self.orders[order["id"]] = Order(order["id"], order["rev"], order["status"], lines)

    @rule(data=st.data())
    def cancel_order(self, data: st.DataObject) -> None:
        if not self.orders:
            return
        id = data.draw(st.sampled_from(sorted(self.orders)))
        known = self.orders[id]
        result = self.api(
            """mutation($id: ID!, $rev: Int!) { cancelOrder(id: $id, rev: $rev) {
                __typename ... on OrderTransitionSuccess { order { rev status } } } }""",
            id=id,
            rev=known.rev,
        )
        if known.status == "CANCELLED":
            assert result["__typename"] == "InvalidTransitionError"
            return
        assert result["order"] == {"rev": known.rev + 1, "status": "CANCELLED"}
        known.rev += 1
        known.status = "CANCELLED"
        for product_id in known.lines:
            self.model[product_id].rev += 1  # restocking writes the product

    @invariant()
    def stock_is_conserved_and_revs_match(self) -> None:
        if not self.model:
            return
        rows = {
            r["id"]: r
            for r in self.sql(
                "SELECT encode(convert_to('Product:' || id::text, 'UTF8'), 'base64') AS id,"
                " stock, rev FROM products"
            )
        }
        for id, known in self.model.items():
            row = rows[id]
            assert row["stock"] >= 0
            in_orders = sum(
                o.lines.get(id, 0) for o in self.orders.values() if o.status != "CANCELLED"
            )
            assert row["stock"] + in_orders - known.adjusted == known.initial
            assert row["rev"] == known.rev


@pytest.fixture
def machine(database_url: str) -> type[Store]:
    Store.database_url = database_url
    return Store


def test_the_write_api_keeps_its_invariants(machine: type[Store]) -> None:
    run_state_machine_as_test(
        machine,
        settings=over_the_app(15, stateful_step_count=20),
    )
