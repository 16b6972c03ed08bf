"""The read surface: every type and field, node/nodes, lookups, visibility of deleted rows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient, StatementRecorder


@pytest.fixture
async def shop(db: Database) -> dict[str, Any]:
    books = await factories.category(db, "Books", description="Paper and ink")
    games = await factories.category(db, "Games")
    atlas = await factories.product(db, books, "Atlas", price="25.50", stock=3)
    chess = await factories.product(db, games, "Chess", price="12.00", stock=9)
    gone = await factories.product(db, games, "Old Dice", price="1.99")
    ann = await factories.customer(db, "Ann", email="Ann@Example.com")
    bob = await factories.customer(db, "Bob")
    paid = await factories.order(db, ann, [(atlas, 2), (chess, 1)], status="PAID")
    shipped = await factories.order(db, ann, [(gone, 3)], status="SHIPPED")
    cancelled = await factories.order(db, ann, [(chess, 1)], status="CANCELLED")
    pending = await factories.order(db, bob, [(atlas, 1)])
    await factories.soft_delete(db, "products", gone)
    return {
        "books": books,
        "games": games,
        "atlas": atlas,
        "chess": chess,
        "gone": gone,
        "ann": ann,
        "bob": bob,
        "paid": paid,
        "shipped": shipped,
        "cancelled": cancelled,
        "pending": pending,
    }


def gid(type_name: str, id: UUID) -> str:
    return to_global_id(type_name, id)


async def test_order_with_every_field(client: GraphQLClient, shop: dict[str, Any]) -> None:
    data = await client.data(
        """query($id: ID!) { order(id: $id) { id rev number status total placedAt paidAt
             shippedAt cancelledAt createdAt updatedAt deletedAt
             customer { id name email orderCount totalSpent }
             lines { id quantity unitPrice subtotal order { id }
                     product { name price category { name } } } } }""",
        {"id": gid("Order", shop["paid"])},
    )
    order = data["order"]
    assert order["status"] == "PAID"
    assert order["total"] == "63.00"  # 2 x 25.50 + 12.00
    assert order["paidAt"] is not None
    assert order["shippedAt"] is None
    assert order["number"] >= 1001
    assert [(line["quantity"], line["unitPrice"], line["subtotal"]) for line in order["lines"]] == [
        (2, "25.50", "51.00"),
        (1, "12.00", "12.00"),
    ]
    assert {line["order"]["id"] for line in order["lines"]} == {order["id"]}
    assert order["lines"][0]["product"]["category"]["name"] == "Books"
    # Ann's orders: PAID 63.00, SHIPPED 5.97, CANCELLED 12.00 (not counted).
    assert order["customer"]["orderCount"] == 2
    assert order["customer"]["totalSpent"] == "68.97"


async def test_order_lines_keep_soft_deleted_products(
    client: GraphQLClient, shop: dict[str, Any]
) -> None:
    data = await client.data(
        "query($id: ID!) { order(id: $id) { lines { product { name deletedAt } } } }",
        {"id": gid("Order", shop["shipped"])},
    )
    [line] = data["order"]["lines"]
    assert line["product"]["name"] == "Old Dice"
    assert line["product"]["deletedAt"] is not None


async def test_lookups_by_unique_keys(client: GraphQLClient, shop: dict[str, Any]) -> None:
    number = await client.data(
        "query($id: ID!) { order(id: $id) { number } }", {"id": gid("Order", shop["pending"])}
    )
    data = await client.data(
        """query($n: Int!) {
             customerByEmail(email: "ann@example.COM") { name }
             missingCustomer: customerByEmail(email: "nobody@example.com") { name }
             categoryByName(name: "books") { name description productCount }
             productBySku(sku: "NOPE") { name }
             orderByNumber(number: $n) { customer { name } }
             missingOrder: orderByNumber(number: 1) { number } }""",
        {"n": number["order"]["number"]},
    )
    assert data == {
        "customerByEmail": {"name": "Ann"},
        "missingCustomer": None,
        "categoryByName": {"name": "Books", "description": "Paper and ink", "productCount": 1},
        "productBySku": None,
        "orderByNumber": {"customer": {"name": "Bob"}},
        "missingOrder": None,
    }


async def test_soft_deleted_rows_are_invisible_to_lookups_and_lists(
    client: GraphQLClient, shop: dict[str, Any], db: Database
) -> None:
    await factories.soft_delete(db, "orders", shop["cancelled"])
    sku = await db.fetchval("SELECT sku FROM products WHERE id = $1", shop["gone"])
    data = await client.data(
        """query($p: ID!, $o: ID!, $sku: String!) { product(id: $p) { id } order(id: $o) { id }
             productBySku(sku: $sku) { id } node(id: $p) { id }
             products(first: 10) { totalCount nodes { name } }
             categoryByName(name: "Games") { productCount products { totalCount nodes { name } } }
             customerByEmail(email: "ann@example.com") { orderCount orders { totalCount } } }""",
        {"p": gid("Product", shop["gone"]), "o": gid("Order", shop["cancelled"]), "sku": sku},
    )
    assert data["product"] is None
    assert data["order"] is None
    assert data["productBySku"] is None
    assert data["node"] is None
    assert data["products"]["totalCount"] == 2
    assert "Old Dice" not in [n["name"] for n in data["products"]["nodes"]]
    games = data["categoryByName"]
    assert games["productCount"] == 1
    assert games["products"] == {"totalCount": 1, "nodes": [{"name": "Chess"}]}
    assert data["customerByEmail"]["orders"]["totalCount"] == 2


async def test_node_resolves_every_type(client: GraphQLClient, shop: dict[str, Any]) -> None:
    line_id = await client.data(
        "query($id: ID!) { order(id: $id) { lines { id } } }", {"id": gid("Order", shop["paid"])}
    )
    ids = [
        gid("Customer", shop["ann"]),
        gid("Category", shop["books"]),
        gid("Product", shop["atlas"]),
        gid("Order", shop["paid"]),
        line_id["order"]["lines"][0]["id"],
    ]
    for global_id in ids:
        data = await client.data(
            """query($id: ID!) { node(id: $id) { __typename id
                 ... on Customer { name } ... on Category { name } ... on Product { name }
                 ... on Order { number } ... on OrderLine { quantity } } }""",
            {"id": global_id},
        )
        assert data["node"]["id"] == global_id


async def test_nodes_keeps_order_nulls_the_invisible_and_batches_per_type(
    client: GraphQLClient, shop: dict[str, Any], recorder: StatementRecorder
) -> None:
    ids = [
        gid("Product", shop["chess"]),
        gid("Customer", shop["bob"]),
        "garbage!",
        gid("Product", shop["gone"]),
        gid("Widget", shop["atlas"]),
        gid("Product", UUID(int=5)),
        gid("Product", shop["atlas"]),
        gid("Customer", shop["ann"]),
    ]
    recorder.clear()
    data = await client.data(
        """query($ids: [ID!]!) { nodes(ids: $ids) { __typename
             ... on Product { name } ... on Customer { name } } }""",
        {"ids": ids},
    )
    assert data["nodes"] == [
        {"__typename": "Product", "name": "Chess"},
        {"__typename": "Customer", "name": "Bob"},
        None,
        None,
        None,
        None,
        {"__typename": "Product", "name": "Atlas"},
        {"__typename": "Customer", "name": "Ann"},
    ]
    assert len(recorder.statements) == 2  # one per type present


async def test_nodes_refuses_more_than_a_hundred_ids(client: GraphQLClient, db: object) -> None:
    body = await client.query(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 101}
    )
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "`nodes` takes at most 100 ids (got 101)"
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    ok = await client.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 100})
    assert ok["nodes"] == [None] * 100


@pytest.mark.parametrize(
    "bad_id", ["", "%%%", "UHJvZHVjdDpub3QtYS11dWlk", "T3JkZXI6MQ==", "\u0000", "a" * 5000]
)
async def test_odd_ids_are_not_found_never_errors(
    client: GraphQLClient, db: object, bad_id: str
) -> None:
    body = await client.query(
        """query($id: ID!) { node(id: $id) { id } product(id: $id) { id }
             customer(id: $id) { id } order(id: $id) { id } category(id: $id) { id } }""",
        {"id": bad_id},
    )
    assert "errors" not in body, body["errors"]
    assert body["data"] == {
        "node": None,
        "product": None,
        "customer": None,
        "order": None,
        "category": None,
    }
