"""Connections: filters, orderings, search, nested pages, and the client mistakes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient


async def names(client: GraphQLClient, arguments: str = "", where: Any = None) -> list[str]:
    """Names of the products `products(filter: where, <arguments>)` lists."""
    extra = f", {arguments}" if arguments else ""
    data = await client.data(
        f"query($v: ProductFilter) {{ products(filter: $v{extra}) {{ nodes {{ name }} }} }}",
        {"v": where},
    )
    return [n["name"] for n in data["products"]["nodes"]]


@pytest.fixture
async def catalogue(db: Database) -> dict[str, Any]:
    tools = await factories.category(db, "Tools")
    toys = await factories.category(db, "Toys")
    rows = [
        ("Drill 50% off", tools, "49.99", 3, "Cordless drill with two batteries"),
        ("Saw_blade", tools, "12.50", 0, None),
        ("Back\\slash hammer", tools, "20.00", 7, "A hammer for backslashes"),
        ("Teddy bear", toys, "15.00", 12, "A soft bear, the best drill sergeant"),
        ("Kite", toys, "9.99", 5, "Flies in the wind"),
    ]
    ids = {}
    for name, category, price, stock, description in rows:
        ids[name] = await factories.product(
            db, category, name, price=price, stock=stock, description=description
        )
    return {"tools": tools, "toys": toys, **ids}


async def test_text_operators_ignore_case_and_match_wildcards_literally(
    client: GraphQLClient, catalogue: dict[str, Any]
) -> None:
    assert await names(client, "", {"name": {"contains": "50%"}}) == ["Drill 50% off"]
    assert await names(client, "", {"name": {"contains": "%"}}) == ["Drill 50% off"]
    assert await names(client, "", {"name": {"contains": "_"}}) == ["Saw_blade"]
    assert await names(client, "", {"name": {"contains": "\\"}}) == ["Back\\slash hammer"]
    assert await names(client, "", {"name": {"startsWith": "dRILL"}}) == ["Drill 50% off"]
    assert await names(client, "", {"name": {"endsWith": "BEAR"}}) == ["Teddy bear"]
    assert await names(client, "", {"description": {"isNull": True}}) == ["Saw_blade"]
    # A null description is "not equal" to anything, and in no list.
    assert "Saw_blade" in await names(client, "", {"description": {"neq": "x"}})
    assert "Saw_blade" in await names(client, "", {"description": {"nin": ["x"]}})
    assert "Saw_blade" not in await names(client, "", {"description": {"contains": ""}})


async def test_numbers_booleans_and_relations(
    client: GraphQLClient, catalogue: dict[str, Any]
) -> None:
    cheap_tools = {"price": {"lt": "20"}, "category": {"name": {"eq": "Tools"}}}
    assert await names(client, "", cheap_tools) == ["Saw_blade"]
    either = {"or": [{"stock": {"eq": 0}}, {"price": {"gte": "40"}}]}
    assert await names(client, "", either) == ["Drill 50% off", "Saw_blade"]
    assert await names(client, "", {"not": either, "stock": {"in": [5, 12]}}) == [
        "Kite",
        "Teddy bear",
    ]
    assert await names(client, "", {"and": []}) == await names(client)
    assert await names(client, "", {"or": []}) == []
    toys_id = to_global_id("Category", catalogue["toys"])
    by_id = {"category": {"id": {"eq": toys_id}}}
    assert await names(client, "", by_id) == ["Kite", "Teddy bear"]
    foreign = {"id": {"in": [toys_id, "junk"]}}  # a category's id never names a product
    assert await names(client, "", foreign) == []


async def test_ordering_with_direction_and_tiebreak(
    client: GraphQLClient, catalogue: dict[str, Any], db: Database
) -> None:
    await factories.product(db, catalogue["toys"], "Yo-yo", price="9.99")
    by_price = await names(
        client, "orderBy: [{field: PRICE, direction: DESC}, {field: NAME, nulls: LAST}]"
    )
    assert by_price == [
        "Drill 50% off",
        "Back\\slash hammer",
        "Teddy bear",
        "Saw_blade",
        "Kite",
        "Yo-yo",
    ]
    by_stock = await names(client, "orderBy: [{field: STOCK}]")
    assert by_stock[0] == "Saw_blade"


async def test_search_ranks_by_relevance(client: GraphQLClient, catalogue: dict[str, Any]) -> None:
    # "drill" in the name weighs more than in a description.
    assert await names(client, 'search: "drill"') == ["Drill 50% off", "Teddy bear"]
    assert await names(client, 'search: "drill -bear"') == ["Drill 50% off"]
    ordered = await names(client, 'search: "drill", orderBy: [{field: NAME, direction: DESC}]')
    assert ordered == ["Teddy bear", "Drill 50% off"]
    assert await names(client, 'search: "   "') == await names(client)
    page = await client.data(
        '{ products(search: "drill", first: 1) { totalCount pageInfo { hasNextPage endCursor } } }'
    )
    assert page["products"]["totalCount"] == 2
    rest = await client.data(
        'query($c: String) { products(search: "drill", first: 5, after: $c) { nodes { name } } }',
        {"c": page["products"]["pageInfo"]["endCursor"]},
    )
    assert rest["products"]["nodes"] == [{"name": "Teddy bear"}]


async def test_orders_by_status_customer_and_has_orders(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db)
    item = await factories.product(db, category, price="10.00")
    ann = await factories.customer(db, "Ann")
    bob = await factories.customer(db, "Bob")
    await factories.customer(db, "Cid")
    await factories.order(db, ann, [(item, 1)], status="PAID")
    await factories.order(db, ann, [(item, 5)], status="CANCELLED")
    await factories.order(db, bob, [(item, 2)])
    data = await client.data(
        """{ paid: orders(filter: {status: {in: [PAID, SHIPPED]}}) { nodes { total } }
             bobs: orders(filter: {customer: {name: {eq: "Bob"}}}) { nodes { total } }
             big: orders(filter: {total: {gt: "15"}}, orderBy: [{field: STATUS}]) {
               nodes { status } }
             buyers: customers(filter: {hasOrders: {status: {neq: CANCELLED}}}) {
               nodes { name } }
             idle: customers(filter: {not: {hasOrders: {}}}) { nodes { name } } }"""
    )
    assert data["paid"]["nodes"] == [{"total": "10.00"}]
    assert data["bobs"]["nodes"] == [{"total": "20.00"}]
    assert data["big"]["nodes"] == [{"status": "PENDING"}, {"status": "CANCELLED"}]
    assert data["buyers"]["nodes"] == [{"name": "Ann"}, {"name": "Bob"}]
    assert data["idle"]["nodes"] == [{"name": "Cid"}]


async def test_nested_connections_page_with_their_own_cursors(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db)
    item = await factories.product(db, category)
    customers = [await factories.customer(db, f"C{i}") for i in range(3)]
    for i, customer in enumerate(customers):
        for _ in range(i + 2):
            await factories.order(db, customer, [(item, 1)])
    query = """query($after: String) { customers { nodes { name
        orders(first: 2, after: $after, orderBy: [{field: NUMBER, direction: DESC}]) {
          totalCount nodes { number } pageInfo { hasNextPage hasPreviousPage endCursor } } } } }"""
    first = (await client.data(query))["customers"]["nodes"]
    assert [c["orders"]["totalCount"] for c in first] == [2, 3, 4]
    assert [c["orders"]["pageInfo"]["hasNextPage"] for c in first] == [False, True, True]
    for customer in first:
        numbers = [o["number"] for o in customer["orders"]["nodes"]]
        assert numbers == sorted(numbers, reverse=True)
    cursor = first[2]["orders"]["pageInfo"]["endCursor"]
    second = (await client.data(query, {"after": cursor}))["customers"]["nodes"]
    last_customer = second[2]["orders"]
    assert [o["number"] for o in last_customer["nodes"]] == [
        n - 2 for n in (o["number"] for o in first[2]["orders"]["nodes"])
    ]
    assert last_customer["pageInfo"]["hasPreviousPage"] is True
    assert last_customer["pageInfo"]["hasNextPage"] is False


CLIENT_MISTAKES = {
    "products(first: 1, last: 1)": "pass either `first` or `last`, not both",
    "products(first: -1)": "`first` must not be negative (got -1)",
    "products(last: -3)": "`last` must not be negative (got -3)",
    "products(first: 101)": "`first` must be at most 100 (got 101)",
    "products(last: 1000)": "`last` must be at most 100 (got 1000)",
    'products(first: 1, after: "garbage")': "cursor 'garbage' is not a valid cursor",
    'products(last: 1, after: "x")': "`after` goes with `first`; use `before` with `last`",
    'products(first: 1, before: "x")': "`before` goes with `last`; use `after` with `first`",
    'customers(after: "Yzo=")': "cursor 'Yzo=' is not a valid cursor",
}


@pytest.mark.parametrize("field", list(CLIENT_MISTAKES))
async def test_client_mistakes_are_clear_top_level_errors(
    client: GraphQLClient, db: object, field: str
) -> None:
    body = await client.query(f"{{ {field} {{ totalCount }} }}")
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == CLIENT_MISTAKES[field]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_a_cursor_is_refused_by_another_ordering_filter_search_or_connection(
    client: GraphQLClient, catalogue: dict[str, Any]
) -> None:
    page = await client.data("{ products(first: 1) { pageInfo { endCursor } } }")
    cursor = page["products"]["pageInfo"]["endCursor"]
    elsewhere = [
        "products(first: 1, after: $c, orderBy: [{field: PRICE}])",
        "products(first: 1, after: $c, filter: {stock: {gt: 0}})",
        'products(first: 1, after: $c, search: "drill")',
        "categories(first: 1, after: $c)",
        "products(last: 1, before: $c, orderBy: [{field: NAME, direction: DESC}])",
    ]
    for field in elsewhere:
        body = await client.query(
            f"query($c: String) {{ {field} {{ totalCount }} }}", {"c": cursor}
        )
        [error] = body["errors"]
        assert "belongs to another ordering, filter or search" in error["message"], field
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    same = await client.query(
        "query($c: String) { products(last: 1, before: $c) { totalCount } }", {"c": cursor}
    )
    assert "errors" not in same


async def test_first_zero_is_an_empty_page_with_exact_info(
    client: GraphQLClient, catalogue: dict[str, Any]
) -> None:
    data = await client.data(
        "{ products(first: 0) { edges { cursor } pageInfo { hasNextPage hasPreviousPage "
        "startCursor endCursor } } }"
    )
    assert data["products"] == {
        "edges": [],
        "pageInfo": {
            "hasNextPage": True,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


async def test_absurdly_nested_filters_are_refused_clearly(
    client: GraphQLClient, db: object
) -> None:
    fine = '{name: {eq: "x"}}'
    for _ in range(16):
        fine = f"{{not: {fine}}}"
    assert "errors" not in await client.query(f"{{ products(filter: {fine}) {{ totalCount }} }}")
    deep = f"{{not: {fine}}}"
    body = await client.query(f"{{ products(filter: {deep}) {{ totalCount }} }}")
    [error] = body["errors"]
    assert error["message"] == "filters nest at most 16 levels deep"
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
