"""Query limits, the cost estimate and closed introspection, through the app in process.

Each limit at its boundary: the default at the limit runs, one more is refused before
anything runs, with QUERY_TOO_COMPLEX, a message naming the limit and the value, and the
status of a request that never reaches execution (400 in the new media type, 200 in JSON).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from graphql import get_introspection_query

from engine.node_ids import to_global_id
from server.app import create_app
from server.settings import Environment, Settings
from tests.api.conftest import GraphQLClient
from tests.conftest import token

UUID_ONE = UUID(int=1)

GQL = "application/graphql-response+json"
JSON = "application/json"
BOTH = pytest.mark.parametrize("accept", [GQL, JSON])
LIMIT = 10_000


def ran(response: httpx.Response) -> dict[str, Any]:
    """The body of a request that ran without errors."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body


def refused(response: httpx.Response, accept: str, code: str = "QUERY_TOO_COMPLEX") -> str:
    """The one error's message of a request refused before execution."""
    assert response.status_code == (400 if accept == GQL else 200), response.text
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    message: str = error["message"]
    return message


def cost(response: httpx.Response) -> int:
    extensions = response.json()["extensions"]
    assert extensions["cost"]["limit"] == LIMIT
    estimated: int = extensions["cost"]["estimated"]
    return estimated


# Tokens


def padded(tokens: int) -> str:
    """`{ __typename }` (3 tokens) and comments up to `tokens` in all."""
    return "{ __typename }\n" + "# padding\n" * (tokens - 3)


@BOTH
async def test_tokens_at_the_limit_run_one_more_is_refused(
    client: GraphQLClient, accept: str
) -> None:
    assert ran(await client.post({"query": padded(5000)}, accept=accept))["data"] == {
        "__typename": "Query"
    }
    message = refused(await client.post({"query": padded(5001)}, accept=accept), accept)
    assert message == (
        "the document has more than 5000 tokens (comments count too); at most 5000 are allowed"
    )


@BOTH
async def test_tokens_without_comments_are_refused_too(client: GraphQLClient, accept: str) -> None:
    query = "{" + " __typename" * 4999 + " }"  # 5001 tokens
    message = refused(await client.post({"query": query}, accept=accept), accept)
    assert "more than 5000 tokens" in message


# Depth


def chain(levels: int, *, spread_at: int | None = None) -> str:
    """A query nesting fields exactly `levels` deep, optionally continued in a fragment
    spread (inside an inline fragment) at level `spread_at`, a Product."""
    # Level k's type: 1 CategoryConnection, 2 Category, then ProductConnection, Product,
    # Category in turn.
    names = ["categories(first: 1)", "nodes"]
    while len(names) < levels - 1:
        names += ["products(first: 1)", "nodes", "category"]
    names = names[: levels - 1]
    leaf = "totalCount" if names[-1].startswith(("categories", "products")) else "name"
    if spread_at is None:
        return "{ " + " { ".join([*names, leaf]) + " }" * (levels - 1) + " }"
    assert names[spread_at - 1] == "nodes"  # of products
    assert spread_at % 3 == 1
    outer, inner = names[:spread_at], names[spread_at:]
    return (
        "{ "
        + " { ".join(outer)
        + " { ... on Product { ...Deeper } }"
        + " }" * (len(outer) - 1)
        + " } fragment Deeper on Product { "
        + " { ".join([*inner, leaf])
        + " }" * len(inner)
        + " }"
    )


@BOTH
async def test_depth_at_the_limit_runs_one_more_is_refused(
    client: GraphQLClient, accept: str
) -> None:
    ran(await client.post({"query": chain(12)}, accept=accept))
    message = refused(await client.post({"query": chain(13)}, accept=accept), accept)
    assert message == "the query nests fields more than 12 levels deep; at most 12 are allowed"


@BOTH
async def test_depth_counts_through_fragments_and_inline_fragments(
    client: GraphQLClient, accept: str
) -> None:
    ran(await client.post({"query": chain(12, spread_at=4)}, accept=accept))
    response = await client.post({"query": chain(13, spread_at=7)}, accept=accept)
    message = refused(response, accept)
    assert message == (
        "the query nests fields 13 levels deep (through fragments); at most 12 are allowed"
    )


async def test_depth_counts_through_nested_fragments(client: GraphQLClient) -> None:
    fragments = """
        fragment A on Product { category { ...B } }
        fragment B on Category { products(first: 1) { nodes { ...C } } }
        fragment C on Product { ... on Product { category { name } } }
    """
    # The fragments add five levels: category | products nodes | category name.
    step = "category { products(first: 1) { nodes { %s } } }"
    seven = "{ categories(first: 1) { nodes { products(first: 1) { nodes { %s } } } } }" % (
        step % "...A"
    )
    ran(await client.post({"query": seven + fragments}))
    deeper = seven.replace("...A", step % "...A")  # 10 + 5
    assert "15 levels deep" in refused(await client.post({"query": deeper + fragments}), JSON)


# Aliases


TEN = " ".join(f"a{i}: __typename" for i in range(10))


@BOTH
async def test_aliases_at_the_limit_run_one_more_is_refused(
    client: GraphQLClient, accept: str
) -> None:
    thirty = "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }"
    assert len(ran(await client.post({"query": thirty}, accept=accept))["data"]) == 30
    one_more = thirty.replace("{ ", "{ extra: __typename ", 1)
    message = refused(await client.post({"query": one_more}, accept=accept), accept)
    assert message == (
        "the query uses 31 aliases (a fragment's count each time it is spread); "
        "at most 30 are allowed"
    )


@BOTH
async def test_aliases_count_each_time_a_fragment_is_spread(
    client: GraphQLClient, accept: str
) -> None:
    fragments = f"fragment Ten on Query {{ {TEN} }} fragment Twenty on Query {{ ...Ten ...Ten }}"
    # Ten + Twenty (two Tens): 30, whether spread directly or through an inline fragment.
    thirty = "{ ...Ten ... on Query { ...Twenty } } " + fragments
    ran(await client.post({"query": thirty}, accept=accept))
    one_more = "{ ...Ten ... on Query { ...Twenty x: __typename } } " + fragments
    assert "31 aliases" in refused(await client.post({"query": one_more}, accept=accept), accept)


async def test_a_fragment_bomb_of_aliases_is_refused_quickly(client: GraphQLClient) -> None:
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
    query = "{ ...F0 } " + fragments + " fragment F30 on Query { a: __typename }"
    response = await client.post({"query": query})
    messages = [error["message"] for error in response.json()["errors"]]
    assert any(f"uses {2**30} aliases" in message for message in messages), messages


# Cost


async def estimate(
    client: GraphQLClient, query: str, variables: dict[str, Any] | None = None
) -> int:
    response = await client.post({"query": query, "variables": variables})
    ran(response)
    return cost(response)


async def test_cost_of_connections_with_the_default_page_and_explicit_sizes(
    client: GraphQLClient,
) -> None:
    assert await estimate(client, "{ __typename }") == 0
    assert await estimate(client, "{ products { nodes { id } } }") == 1 + 20
    assert await estimate(client, "{ products(first: 5) { edges { node { id } } } }") == 1 + 5 + 5
    assert await estimate(
        client, "{ products(last: 7) { nodes { id } pageInfo { endCursor } } }"
    ) == (1 + 7 + 1)
    # Scalars and the connection's own fields are free; the page never exceeds the maximum.
    assert await estimate(client, "{ products(first: 3) { totalCount } }") == 1
    response = await client.post({"query": "{ products(first: 500) { nodes { id } } }"})
    assert cost(response) == 1 + 100
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_cost_takes_page_sizes_from_variables(client: GraphQLClient) -> None:
    query = "query($n: Int) { products(first: $n) { nodes { id } } }"
    assert await estimate(client, query, {"n": 3}) == 1 + 3
    assert await estimate(client, query, {}) == 1 + 20
    assert await estimate(client, query, {"n": None}) == 1 + 20
    defaulted = "query($n: Int = 7) { products(last: $n) { nodes { id } } }"
    assert await estimate(client, defaulted) == 1 + 7


async def test_cost_multiplies_along_nested_connections_and_lists(client: GraphQLClient) -> None:
    nested = "{ customers(first: 10) { nodes { orders(first: 5) { nodes { id } } } } }"
    assert await estimate(client, nested) == 1 + 10 * (1 + 1 + 5)
    # Order.lines counts 5 a time; every product under them counts too.
    lines = "{ orders(first: 2) { nodes { lines { product { category { name } } } } } }"
    assert await estimate(client, lines) == 1 + 2 * (1 + 5 * (1 + 1 + 1))
    readme = (
        "{ customers(first: 10) { nodes { orders { nodes { lines { product { name } } } } } } }"
    )
    assert await estimate(client, readme) == 2221


async def test_cost_of_nodes_is_the_number_of_ids(client: GraphQLClient) -> None:
    ids = [to_global_id("Product", UUID(int=i)) for i in range(3)]
    quoted = ", ".join(f'"{i}"' for i in ids)
    literal = f"{{ nodes(ids: [{quoted}]) {{ id ... on Product {{ category {{ name }} }} }} }}"
    assert await estimate(client, literal) == 3 * (1 + 1)
    variable = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    assert await estimate(client, variable, {"ids": ids + ids}) == 6


async def test_cost_counts_fragments_wherever_they_are_spread(client: GraphQLClient) -> None:
    query = """query($n: Int) {
        a: products(first: $n) { ...Page }
        b: categories(first: 2) { nodes { products(first: 3) { ...Page } } }
      }
      fragment Page on ProductConnection { nodes { ...Item } edges { cursor } }
      fragment Item on Product { category { name } }"""
    # a: 1 + n * (1 + 1) + n edges; b: 1 + 2 * (1 + 1 + 3 * 2 + 3)
    assert await estimate(client, query, {"n": 4}) == (1 + 4 * 2 + 4) + (1 + 2 * (2 + 6 + 3))


def boundary(a: int, b: int) -> str:
    """1 + a * (1 + 1 + b) objects."""
    return f"{{ customers(first: {a}) {{ nodes {{ orders(first: {b}) {{ nodes {{ id }} }} }} }} }}"


@BOTH
async def test_cost_at_the_limit_runs_one_more_is_refused(
    client: GraphQLClient, accept: str
) -> None:
    query = "query($a: Int, $b: Int) { customers(first: $a) { nodes { orders(first: $b) { nodes { id } } } } }"  # noqa: E501
    at_limit = await client.post({"query": query, "variables": {"a": 99, "b": 99}}, accept=accept)
    ran(at_limit)
    assert cost(at_limit) == 10_000
    over = await client.post({"query": query, "variables": {"a": 100, "b": 98}}, accept=accept)
    message = refused(over, accept)
    assert message == (
        "the query could return 10001 objects by estimate (pages multiplied along nested "
        "connections and lists); at most 10000 are allowed"
    )
    assert cost(over) == 10_001


@BOTH
async def test_cost_of_literal_sizes_is_refused_with_the_document(
    client: GraphQLClient, accept: str
) -> None:
    ran(await client.post({"query": boundary(99, 99)}, accept=accept))
    over = await client.post({"query": boundary(100, 98)}, accept=accept)
    assert "could return 10001 objects" in refused(over, accept)
    assert cost(over) == 10_001
    # Whatever the variables, the sizes written out cost this much: refused with the document
    # (the connection of `x` counts one even with a page of 0).
    with_variable = (
        "query($n: Int) { x: products(first: $n) { nodes { id } } " + boundary(100, 98)[1:]
    )
    over = await client.post({"query": with_variable, "variables": {"n": 1}}, accept=accept)
    assert "could return at least 10002 objects" in refused(over, accept)


async def test_the_cost_is_reported_only_once_estimated(client: GraphQLClient) -> None:
    assert "extensions" not in (await client.post({"query": "{ nope }"})).json()
    assert "extensions" not in (await client.post({"query": "{"})).json()
    bad_variable = await client.post(
        {
            "query": "query($n: Int) { products(first: $n) { nodes { id } } }",
            "variables": {"n": "x"},
        }
    )
    assert "extensions" not in bad_variable.json()
    # Refused for depth: no estimate yet, as the parser stopped.
    assert "extensions" not in (await client.post({"query": chain(13)})).json()


# Introspection, suggestions, GraphiQL


@pytest.fixture
async def production(database_url: str, db: object) -> AsyncIterator[GraphQLClient]:
    """The app as `STOREFRONT_ENV=production` serves it, seen anonymously."""
    settings = Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=2, env=Environment.PRODUCTION
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, bearer=None)


SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Product") { fields { name } } }'
TYPO = "{ prodcts { nodes { id } } }"
ENUM_TYPO = (
    "query($d: SortDirection!) { products(orderBy: [{field: NAME, direction: $d}]) { totalCount } }"
)


async def test_development_introspects_and_suggests_for_everyone(client: GraphQLClient) -> None:
    anonymous = client.as_viewer(None)
    body = ran(await anonymous.post({"query": SCHEMA}))
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    ran(await anonymous.post({"query": TYPE}))
    assert "Did you mean 'products'" in refused(
        await anonymous.post({"query": TYPO}), JSON, "GRAPHQL_VALIDATION_FAILED"
    )


async def test_graphiqls_full_introspection_query_is_within_the_limits(
    client: GraphQLClient,
) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = ran(await client.as_viewer(None).post({"query": query}))
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert body["extensions"]["cost"]["estimated"] == 0


@BOTH
@pytest.mark.parametrize("role", [None, "customer"])
async def test_production_refuses_introspection_but_typename_works(
    production: GraphQLClient, accept: str, role: str | None
) -> None:
    viewer = production if role is None else production.as_viewer(role, UUID_ONE)
    for query, field in ((SCHEMA, "__schema"), (TYPE, "__type")):
        response = await viewer.post({"query": query}, accept=accept)
        assert response.status_code == (400 if accept == GQL else 200)
        body = response.json()
        assert "data" not in body
        assert {error["extensions"]["code"] for error in body["errors"]} == {
            "GRAPHQL_VALIDATION_FAILED"
        }
        assert body["errors"][0]["message"] == (
            "GraphQL introspection has been disabled, but the requested query contained "
            f"the field '{field}'."
        )
    body = ran(await viewer.post({"query": "{ __typename }"}, accept=accept))
    assert body["data"] == {"__typename": "Query"}


async def test_production_lets_staff_introspect(production: GraphQLClient) -> None:
    staff = production.as_viewer("staff")
    assert ran(await staff.post({"query": SCHEMA}))["data"]["__schema"]["queryType"]
    ran(await staff.post({"query": TYPE}))
    assert "Did you mean" in refused(
        await staff.post({"query": TYPO}), JSON, "GRAPHQL_VALIDATION_FAILED"
    )


async def test_production_never_suggests_names_to_others(production: GraphQLClient) -> None:
    message = refused(await production.post({"query": TYPO}), JSON, "GRAPHQL_VALIDATION_FAILED")
    assert message == "Cannot query field 'prodcts' on type 'Query'."
    response = await production.post({"query": ENUM_TYPO, "variables": {"d": "ASCC"}})
    message = refused(response, JSON, "BAD_USER_INPUT")
    assert "ASCC" in message
    assert "Did you mean" not in response.text
    literal = "{ products(orderBy: [{field: NAM}]) { totalCount } }"
    response = await production.post({"query": literal})
    assert "NAM" in refused(response, JSON, "GRAPHQL_VALIDATION_FAILED")
    assert "Did you mean" not in response.text
    # Staff still get them.
    staff = production.as_viewer("staff")
    response = await staff.post({"query": ENUM_TYPO, "variables": {"d": "ASCC"}})
    assert "Did you mean the enum value 'ASC'" in response.text
    assert "Did you mean" in (await staff.post({"query": literal})).text


async def test_graphiql_is_served_only_where_introspection_is_open(
    client: GraphQLClient, production: GraphQLClient
) -> None:
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = await client.http.get("/graphql", headers=browser)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    closed = await production.http.get("/graphql", headers=browser)
    assert not closed.headers["content-type"].startswith("text/html")
    assert closed.status_code == 400
    staff = await production.http.get(
        "/graphql", headers={**browser, "authorization": f"Bearer {token('staff')}"}
    )
    assert staff.headers["content-type"].startswith("text/html")
