"""The first slice: product lookups, the products connection, Product.category."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from engine.node_ids import to_global_id
from sql.pool import Database
from tests.api.conftest import GraphQLClient


async def make_catalogue(db: Database, names: list[str]) -> dict[str, UUID]:
    """One category and a product per name; returns product ids by name."""
    category = await db.fetchval("INSERT INTO categories (name) VALUES ('Books') RETURNING id")
    ids = {}
    for i, name in enumerate(names):
        ids[name] = await db.fetchval(
            "INSERT INTO products (sku, name, price, stock, category_id)"
            " VALUES ($1, $2, $3, $4, $5) RETURNING id",
            f"SKU-{i:04d}",
            name,
            Decimal("19.99") + i,
            i,
            category,
        )
    return ids


async def test_product_by_id_has_every_field(client: GraphQLClient, db: Database) -> None:
    ids = await make_catalogue(db, ["Atlas"])
    gid = to_global_id("Product", ids["Atlas"])
    data = await client.data(
        """query($id: ID!) { product(id: $id) { id rev sku name description price stock
           createdAt updatedAt deletedAt category { id name } } }""",
        {"id": gid},
    )
    product = data["product"]
    assert product["id"] == gid
    assert (product["rev"], product["sku"], product["name"]) == (1, "SKU-0000", "Atlas")
    assert product["price"] == "19.99"
    assert product["createdAt"].endswith("+00:00")
    assert product["deletedAt"] is None
    assert product["category"]["name"] == "Books"


async def test_missing_deleted_malformed_and_foreign_ids_are_null(
    client: GraphQLClient, db: Database
) -> None:
    ids = await make_catalogue(db, ["Atlas", "Gone"])
    await db.execute("UPDATE products SET deleted_at = now() WHERE id = $1", ids["Gone"])
    cases = [
        to_global_id("Product", UUID(int=1)),
        to_global_id("Product", ids["Gone"]),
        to_global_id("Category", ids["Atlas"]),
        "not base64 at all!",
        "",
    ]
    for gid in cases:
        body = await client.query("query($id: ID!) { product(id: $id) { id } }", {"id": gid})
        assert "errors" not in body, gid
        assert body["data"] == {"product": None}, gid


async def test_product_by_sku(client: GraphQLClient, db: Database) -> None:
    await make_catalogue(db, ["Atlas"])
    data = await client.data(
        '{ a: productBySku(sku: "SKU-0000") { name } b: productBySku(sku: "NOPE") { name } }'
    )
    assert data == {"a": {"name": "Atlas"}, "b": None}


async def test_products_pages_forward_by_name(client: GraphQLClient, db: Database) -> None:
    names = ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]
    await make_catalogue(db, names)
    query = """query($after: String) { products(first: 2, after: $after) {
        totalCount edges { cursor node { name } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    seen: list[str] = []
    after = None
    pages: list[dict[str, Any]] = []
    while True:
        page = (await client.data(query, {"after": after}))["products"]
        pages.append(page)
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(names)
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    assert all(p["totalCount"] == 5 for p in pages)
    assert pages[0]["pageInfo"]["startCursor"] == pages[0]["edges"][0]["cursor"]


async def test_products_page_backward(client: GraphQLClient, db: Database) -> None:
    await make_catalogue(db, ["A1", "A2", "A3", "A4"])
    last_two = (
        await client.data(
            "{ products(last: 2) { nodes { name } pageInfo { hasNextPage hasPreviousPage "
            "startCursor } } }"
        )
    )["products"]
    assert [n["name"] for n in last_two["nodes"]] == ["A3", "A4"]
    assert last_two["pageInfo"]["hasNextPage"] is False
    assert last_two["pageInfo"]["hasPreviousPage"] is True
    before = (
        await client.data(
            "query($c: String) { products(last: 5, before: $c) { nodes { name } "
            "pageInfo { hasNextPage hasPreviousPage } } }",
            {"c": last_two["pageInfo"]["startCursor"]},
        )
    )["products"]
    assert [n["name"] for n in before["nodes"]] == ["A1", "A2"]
    assert before["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}


async def test_page_argument_mistakes_are_clear_top_level_errors(
    client: GraphQLClient, db: Database
) -> None:
    await make_catalogue(db, ["A1"])
    cases = {
        "first: 1, last: 1": "either `first` or `last`",
        "first: -1": "must not be negative",
        "first: 101": "at most 100",
        'first: 1, after: "garbage"': "not a valid cursor",
    }
    for arguments, expected in cases.items():
        body = await client.query(f"{{ products({arguments}) {{ totalCount }} }}")
        assert body["data"] is None
        [error] = body["errors"]
        assert expected in error["message"], (arguments, error)
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}
        assert "Traceback" not in error["message"]


async def test_category_loads_in_one_batch(client: GraphQLClient, db: Database) -> None:
    await make_catalogue(db, [f"P{i}" for i in range(10)])
    data = await client.data("{ products(first: 10) { nodes { category { name } } } }")
    assert {n["category"]["name"] for n in data["products"]["nodes"]} == {"Books"}
