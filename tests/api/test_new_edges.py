"""A create's edge: its cursor pages the matching root connection on from the new node.

Each test makes rows on both sides of the new one in the default ordering, then pages
after the returned cursor: exactly the rows that sort after it come back, so a client that
appends the edge to its connection (Relay's @appendEdge) pages on without a gap or repeat.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import result

EDGE = "cursor node { id }"


async def names_after(client: GraphQLClient, connection: str, cursor: str) -> list[str]:
    data = await client.data(
        f"query($after: String) {{ {connection}(first: 50, after: $after) "
        "{ nodes { name } pageInfo { hasPreviousPage } } }",
        {"after": cursor},
    )
    assert data[connection]["pageInfo"]["hasPreviousPage"] is True
    return [node["name"] for node in data[connection]["nodes"]]


def check_edge(success: dict[str, Any], node_field: str, edge_field: str) -> str:
    """The edge wraps the same node as the payload; returns its cursor."""
    edge = success[edge_field]
    assert edge["node"]["id"] == success[node_field]["id"]
    assert isinstance(edge["cursor"], str)
    return str(edge["cursor"])


async def test_create_product_edge_pages_on_after_it(client: GraphQLClient, db: Database) -> None:
    category = await factories.category(db, "Tools")
    for name in ("Anvil", "Mallet", "Zither"):
        await factories.product(db, category, name)
    created = await result(
        client,
        f"""mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{
          __typename ... on CreateProductSuccess {{ product {{ id }} productEdge {{ {EDGE} }} }}
        }} }}""",
        input={
            "sku": "HM-0001",
            "name": "Hammer",
            "price": "9.50",
            "categoryId": to_global_id("Category", category),
        },
    )
    assert created["__typename"] == "CreateProductSuccess"
    cursor = check_edge(created, "product", "productEdge")
    assert await names_after(client, "products", cursor) == ["Mallet", "Zither"]


async def test_create_products_edges_each_page_on_after_their_product(
    client: GraphQLClient, db: Database
) -> None:
    category = to_global_id("Category", await factories.category(db, "Tools"))
    created = await result(
        client,
        f"""mutation($inputs: [CreateProductInput!]!) {{ createProducts(inputs: $inputs) {{
          __typename ... on CreateProductsSuccess {{
            products {{ id name }} productEdges {{ {EDGE} }} }} }} }}""",
        inputs=[
            {"sku": f"SK-000{i}", "name": name, "price": "1", "categoryId": category}
            for i, name in enumerate(["Saw", "Drill", "Level"])
        ],
    )
    assert created["__typename"] == "CreateProductsSuccess"
    edges, products = created["productEdges"], created["products"]
    assert [e["node"]["id"] for e in edges] == [p["id"] for p in products]
    after = {
        p["name"]: await names_after(client, "products", e["cursor"])
        for p, e in zip(products, edges, strict=True)
    }
    assert after == {"Saw": [], "Drill": ["Level", "Saw"], "Level": ["Saw"]}


async def test_upsert_product_edge_pages_on_after_it(client: GraphQLClient, db: Database) -> None:
    category = await factories.category(db, "Tools")
    await factories.product(db, category, "Bolt", sku="BL-0001")
    await factories.product(db, category, "Wrench")
    upsert = f"""mutation($input: CreateProductInput!) {{ upsertProduct(input: $input) {{
      __typename ... on UpsertProductSuccess {{ created product {{ id }} productEdge {{ {EDGE} }} }}
    }} }}"""
    base = {"price": "2", "categoryId": to_global_id("Category", category)}
    for sku, name, created_now in (("NT-0001", "Nut", True), ("BL-0001", "Bolt M8", False)):
        done = await result(client, upsert, input={"sku": sku, "name": name, **base})
        assert (done["__typename"], done["created"]) == ("UpsertProductSuccess", created_now)
        cursor = check_edge(done, "product", "productEdge")
        expected = ["Wrench"] if name == "Nut" else ["Nut", "Wrench"]
        assert await names_after(client, "products", cursor) == expected


async def test_create_category_edge_pages_on_after_it(client: GraphQLClient, db: Database) -> None:
    for name in ("Art", "Music", "Toys"):
        await factories.category(db, name)
    created = await result(
        client,
        f"""mutation {{ createCategory(input: {{name: "Garden"}}) {{
          __typename ... on CreateCategorySuccess {{ category {{ id }} categoryEdge {{ {EDGE} }} }}
        }} }}""",
    )
    cursor = check_edge(created, "category", "categoryEdge")
    assert await names_after(client, "categories", cursor) == ["Music", "Toys"]


async def test_create_customer_edge_pages_on_after_it(client: GraphQLClient, db: Database) -> None:
    for name in ("Ada", "Linus", "Zoe"):
        await factories.customer(db, name)
    created = await result(
        client,
        f"""mutation {{ createCustomer(input: {{email: "grace@example.com", name: "Grace"}}) {{
          __typename ... on CreateCustomerSuccess {{ customer {{ id }} customerEdge {{ {EDGE} }} }}
        }} }}""",
    )
    cursor = check_edge(created, "customer", "customerEdge")
    assert await names_after(client, "customers", cursor) == ["Linus", "Zoe"]


@pytest.mark.parametrize("viewer", ["staff", "customer"])
async def test_place_order_edge_pages_on_after_it(
    client: GraphQLClient, db: Database, viewer: str
) -> None:
    buyer = await factories.customer(db, "Ada")
    product = await factories.product(db, await factories.category(db), stock=100)
    for _ in range(2):  # older orders, which sort before the new ones
        await factories.order(db, buyer, [(product, 1)])
    as_viewer = client if viewer == "staff" else client.as_viewer("customer", buyer)
    place = f"""mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{
      __typename ... on PlaceOrderSuccess {{ order {{ id number }} orderEdge {{ {EDGE} }} }}
    }} }}"""
    line = {"productId": to_global_id("Product", product), "quantity": 1}
    input = {"customerId": to_global_id("Customer", buyer), "lines": [line]}
    first = await result(as_viewer, place, input=input)
    second = await result(as_viewer, place, input=input)
    cursor = check_edge(first, "order", "orderEdge")
    data = await as_viewer.data(
        "query($after: String) { orders(first: 50, after: $after) "
        "{ nodes { id } pageInfo { hasPreviousPage } } }",
        {"after": cursor},
    )
    assert [n["id"] for n in data["orders"]["nodes"]] == [second["order"]["id"]]
    assert data["orders"]["pageInfo"]["hasPreviousPage"] is True
