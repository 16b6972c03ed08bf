"""Generated queries and mutations, from the schema, as staff, a customer and anonymous.

hypothesis-graphql builds valid documents with arbitrary arguments; ids are drawn from real
rows of every type, ids of the wrong type and garbage, so lookups, visibility and writes
are reached, not only "not found". Whatever comes back must be a deliberate answer: no 5xx,
no masked fault (INTERNAL_SERVER_ERROR), and nothing of SQL, the driver, the host or
Python in the body. Bounded: a fixed number of documents, each sent as the three viewers
under a deadline per example (about five seconds in all).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import graphql
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from engine.node_ids import to_global_id
from gql.schema import schema
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import over_the_app

LEAKS = (
    "Traceback",
    'File "',
    "asyncpg",
    "psycopg",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "postgres",
    "127.0.0.1",
    "localhost",
    "sqlstate",
)

# Rows the fixture creates under these ids, so the strategies can be built once.
CATEGORY, PRODUCT, GONE_PRODUCT = UUID(int=0x101), UUID(int=0x102), UUID(int=0x103)
OWNER, OTHER = UUID(int=0x201), UUID(int=0x202)
MY_ORDER, THEIR_ORDER, MY_LINE = UUID(int=0x301), UUID(int=0x302), UUID(int=0x401)
ROWS = {
    "Category": [CATEGORY],
    "Product": [PRODUCT, GONE_PRODUCT],
    "Customer": [OWNER, OTHER],
    "Order": [MY_ORDER, THEIR_ORDER],
    "OrderLine": [MY_LINE],
}
GLOBAL_IDS = [
    *(to_global_id(kind, id) for kind, many in ROWS.items() for id in many),
    to_global_id("Customer", PRODUCT),  # a real row, under another type
    to_global_id("Product", OWNER),
    to_global_id("Order", UUID(int=0)),  # no such row
    to_global_id("Nope", UUID(int=0)),
    "",
    "not-an-id",
    "Tm9kZTo=",
]


def string_node(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda value: graphql.StringValueNode(value=value))


SCALARS = {
    "ID": string_node(st.sampled_from(GLOBAL_IDS) | st.text(max_size=12)),
    "Decimal": string_node(
        st.sampled_from(
            ["0", "0.00", "19.99", "-1", "1e400", "NaN", "Infinity", "99999999999.99", "0.001"]
        )
        | st.text(max_size=8)
    ),
    "DateTime": string_node(
        st.sampled_from(
            ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999"]
        )
        | st.text(max_size=8)
    ),
}
QUERIES = queries(schema._schema, custom_scalars=SCALARS)
MUTATIONS = mutations(schema._schema, custom_scalars=SCALARS)


@pytest.fixture
async def rows(db: Database) -> None:
    """A live and a soft-deleted product, two customers, an order of each."""
    await factories.category(db, id=CATEGORY)
    await factories.product(db, CATEGORY, stock=3, id=PRODUCT)
    await factories.product(db, CATEGORY, id=GONE_PRODUCT)
    await factories.soft_delete(db, "products", GONE_PRODUCT)
    await factories.customer(db, id=OWNER)
    await factories.customer(db, id=OTHER)
    await factories.order(db, OWNER, [(PRODUCT, 1)], id=MY_ORDER)
    await factories.order(db, OTHER, [(PRODUCT, 2)], status="PAID", id=THEIR_ORDER)
    await db.execute("UPDATE order_lines SET id = $1 WHERE order_id = $2", MY_LINE, MY_ORDER)


def assert_deliberate(response: Any, document: str) -> None:
    assert response.status_code < 500, (document, response.text)
    for leak in LEAKS:
        if leak in document:
            continue  # the client's own text, echoed in an error about it, is no leak
        assert leak not in response.text, (leak, document, response.text)
    body = response.json()
    for error in body.get("errors", []):
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", (document, error)


async def as_everyone(client: GraphQLClient, document: str) -> None:
    """The document sent as staff, as the customer who owns rows, and anonymously."""
    for viewer in (client, client.as_viewer("customer", OWNER), client.as_viewer(None)):
        assert_deliberate(await viewer.post({"query": document}), document)


@pytest.mark.parametrize("documents", [QUERIES, MUTATIONS], ids=["queries", "mutations"])
@over_the_app(30, seconds=3)
@given(data=st.data())
async def test_generated_documents_answer_deliberately(
    client: GraphQLClient, rows: None, documents: st.SearchStrategy[str], data: st.DataObject
) -> None:
    await as_everyone(client, data.draw(documents, label="document"))
