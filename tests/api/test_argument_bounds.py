"""Arguments that would reach PostgreSQL's own limits are refused as the client's mistake.

The token limit bounds what a document says, not what its variables carry: a search of
19,000 words, a filter of thousands of conditions or a megabyte of text all arrive as a few
tokens. Each is bounded before any SQL is built, with a BAD_USER_INPUT that names the bound,
and whatever still reaches one of the server's limits is the client's error too, never a
fault.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from graphql import GraphQLError

from engine.errors import execution_error
from sql.filters import MAX_FILTER_CONDITIONS, MAX_FILTER_TEXT, MAX_FILTER_VALUES
from sql.pool import Database
from sql.products import MAX_SEARCH_CHARS
from tests import factories
from tests.api.conftest import GraphQLClient

PAGE = """query($f: ProductFilter, $s: String) {
  products(first: 5, filter: $f, search: $s) { totalCount nodes { name } } }"""
ORDERS = "query($f: OrderFilter) { orders(first: 5, filter: $f) { totalCount } }"


def _refusal(body: dict[str, Any]) -> str:
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, error
    assert body["data"] is None
    message: str = error["message"]
    return message


async def test_a_long_search_names_its_bound(client: GraphQLClient, db: Database) -> None:
    await factories.product(db, await factories.category(db), name="Desk lamp")
    words = " ".join(f"w{i}" for i in range(19_000))
    message = _refusal(await client.query(PAGE, {"s": words}))
    assert f"at most {MAX_SEARCH_CHARS} characters" in message
    within = " ".join(["lamp"] * (MAX_SEARCH_CHARS // 5))
    assert (await client.data(PAGE, {"s": within}))["products"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("variables", "bound"),
    [
        (
            {"f": {"or": [{"name": {"eq": f"n{i}"}} for i in range(MAX_FILTER_CONDITIONS + 1)]}},
            f"at most {MAX_FILTER_CONDITIONS} conditions",
        ),
        (
            {"f": {"sku": {"in": [f"S{i}" for i in range(MAX_FILTER_VALUES + 1)]}}},
            f"at most {MAX_FILTER_VALUES} values",
        ),
        (
            {"f": {"description": {"contains": "x" * (MAX_FILTER_TEXT + 1)}}},
            f"at most {MAX_FILTER_TEXT} characters",
        ),
    ],
    ids=["wide-or", "long-in", "long-text"],
)
async def test_filters_carried_by_variables_are_bounded(
    client: GraphQLClient, db: Database, variables: dict[str, Any], bound: str
) -> None:
    assert bound in _refusal(await client.query(PAGE, variables))


async def test_a_deep_relation_filter_through_variables_is_bounded(client: GraphQLClient) -> None:
    deep: dict[str, Any] = {"customer": {"name": {"contains": "q"}}}
    for _ in range(12):
        deep = {"not": {"customer": {"hasOrders": deep}}}
    assert "nest at most" in _refusal(await client.query(ORDERS, {"f": deep}))


async def test_a_statement_past_the_servers_own_limits_is_the_clients_error(
    database_url: str,
) -> None:
    """The backstop behind the bounds: class 54 from the server is BAD_USER_INPUT."""
    conn = await asyncpg.connect(database_url)
    try:
        words = " ".join(f"w{i}" for i in range(19_000))
        with pytest.raises(asyncpg.ProgramLimitExceededError) as raised:
            await conn.fetchval("SELECT websearch_to_tsquery('english', $1)", words)
    finally:
        await conn.close()
    wrapped = GraphQLError("x", path=["products"], original_error=raised.value)
    formatted = execution_error(wrapped, request_id="r1")
    assert formatted["extensions"] == {"code": "BAD_USER_INPUT"}
    assert formatted["path"] == ["products"]
    assert "stack" not in formatted["message"]
