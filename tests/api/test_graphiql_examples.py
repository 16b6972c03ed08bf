"""GraphiQL for browsers: the page's example tabs, run as GraphiQL runs them, show what their
first lines say; shared links open GraphiQL; clients keep getting JSON; production pages
carry no token."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import jwt
import pytest

from server.demo import DEMO
from server.graphiql_examples import examples
from server.settings import Environment
from sql import seed
from sql.pool import Database
from tests.api.conftest import GraphQLClient, StatementRecorder, staff_client
from tests.conftest import TEST_SECRET
from tests.factories import fingerprint

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
SETUP = re.compile(r'<script type="application/json" id="graphiql-setup">(.*?)</script>', re.S)


@pytest.fixture
async def demo(db: Database) -> Database:
    async with db.acquire() as conn:
        await seed.load(conn, scale=DEMO, seed=7)
    return db


def _tabs(setup: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The page's tabs by example name, checked to be the examples in order."""
    assert [tab["query"] for tab in setup["tabs"]] == [e.text for e in examples()]
    return {e.name: tab for e, tab in zip(examples(), setup["tabs"], strict=True)}


def _setup(page: httpx.Response) -> dict[str, Any]:
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["vary"] == "Accept"
    assert page.headers["cache-control"] == "no-store"
    found = SETUP.search(page.text)
    assert found is not None
    setup: dict[str, Any] = json.loads(found.group(1))
    return setup


async def _run(http: httpx.AsyncClient, tab: dict[str, Any]) -> dict[str, Any]:
    """Posts a tab as GraphiQL does: its text, its variables, its headers."""
    headers = json.loads(tab["headers"]) if tab["headers"] else {}
    variables = json.loads(tab["variables"]) if tab["variables"] else None
    response = await http.post(
        "/graphql", json={"query": tab["query"], "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


@pytest.mark.usefixtures("demo")
async def test_each_example_tab_shows_what_its_first_line_says(
    client: GraphQLClient, db: Database
) -> None:
    tabs = _tabs(_setup(await client.http.get("/graphql", headers={"accept": BROWSER})))
    product_page = tabs.pop("1-product-page")
    my_orders = tabs.pop("2-customer-orders")
    update = tabs.pop("3-update-product")
    place = tabs.pop("4-place-order")
    for example in examples():  # examples added later: their queries answer with data
        if example.name in tabs and example.operation == "query":
            assert await _run(client.http, tabs[example.name]), example.name

    products = (await _run(client.http, product_page))["products"]
    assert products["totalCount"] > len(products["nodes"]) > 0
    prices = [float(node["price"]) for node in products["nodes"]]
    assert prices == sorted(prices)
    assert max(prices) < 100
    assert {node["category"]["name"] for node in products["nodes"]} == {"Lighting"}
    assert all(node["stock"] > 0 for node in products["nodes"])

    orders = (await _run(client.http, my_orders))["orders"]
    assert orders["totalCount"] >= len(orders["nodes"]) > 0
    assert len({node["customer"]["email"] for node in orders["nodes"]}) == 1  # their own only
    assert all(node["lines"] for node in orders["nodes"])
    placed = [node["placedAt"] for node in orders["nodes"]]
    assert placed == sorted(placed, reverse=True)

    written = await _run(client.http, update)
    rev = json.loads(update["variables"])["productRev"]
    assert written["first"] == {
        "__typename": "UpdateProductSuccess",
        "product": {"rev": rev + 1, "price": "24.90"},
    }
    assert written["again"]["__typename"] == "ConflictError"
    assert (written["again"]["expectedRev"], written["again"]["currentRev"]) == (rev, rev + 1)
    assert written["again"]["current"] == {"rev": rev + 1, "price": "24.90"}

    before = await fingerprint(db)
    refused = (await _run(client.http, place))["placeOrder"]
    assert refused["__typename"] == "InsufficientStockError"
    [short] = refused["items"]
    assert short["requested"] == 1000
    assert short["available"] == short["product"]["stock"] < 1000
    assert await fingerprint(db) == before  # nothing written, not even the line that fitted


@pytest.mark.usefixtures("demo")
async def test_development_tokens_in_the_page_are_the_viewers_they_claim(
    client: GraphQLClient,
) -> None:
    setup = _setup(await client.http.get("/graphql", headers={"accept": BROWSER}))
    assert setup["persistHeaders"] is True
    claims = [
        jwt.decode(
            json.loads(tab["headers"])["Authorization"].removeprefix("Bearer "),
            TEST_SECRET,
            algorithms=["HS256"],
        )
        if tab["headers"]
        else None
        for tab in setup["tabs"]
    ]
    viewers = ["anonymous" if c is None else c["role"] for c in claims]
    assert viewers == [e.viewer for e in examples()]
    customer_id = json.loads(_tabs(setup)["4-place-order"]["variables"])["customerId"]
    assert claims[3] is not None
    assert claims[3]["sub"] in _decoded(customer_id)
    new_tab = json.loads(setup["headers"])["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(new_tab, TEST_SECRET, algorithms=["HS256"])["role"] == "staff"


def _decoded(global_id: str) -> str:
    return base64.b64decode(global_id).decode()


@pytest.mark.usefixtures("demo")
async def test_production_serves_staff_a_page_without_tokens(
    database_url: str, recorder: StatementRecorder
) -> None:
    async with staff_client(database_url, recorder, env=Environment.PRODUCTION) as staff:
        anonymous = await staff.http.get("/graphql", headers={"accept": BROWSER})
        page = await staff.http.get(
            "/graphql", headers={"accept": BROWSER, "authorization": f"Bearer {staff.bearer}"}
        )
    assert not anonymous.headers["content-type"].startswith("text/html")
    setup = _setup(page)
    assert "Bearer" not in page.text
    assert "eyJ" not in page.text
    assert setup["persistHeaders"] is False
    assert [tab["headers"] for tab in setup["tabs"]] == [""] * len(examples())
    assert "headers" not in setup or setup["headers"] is None
    # The examples' values are still filled: staff run them with their own token.
    assert json.loads(_tabs(setup)["3-update-product"]["variables"])["productRev"] >= 1


SHARED = "{ products(first: 3) { nodes { name } } }"


async def test_a_shared_link_opens_graphiql_for_a_browser_and_runs_for_a_client(
    client: GraphQLClient,
) -> None:
    link = {"query": SHARED, "variables": '{"a": 1}', "operationName": ""}
    page = await client.http.get("/graphql", params=link, headers={"accept": BROWSER})
    _setup(page)  # the query itself reaches the editor from the URL, in graphiql-init.js
    for accept in ("application/json", "*/*", "application/json, text/html;q=0.5", ""):
        answer = await client.http.get(
            "/graphql", params={"query": SHARED}, headers={"accept": accept}
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json"), accept
        assert answer.headers["vary"] == "Accept"
        assert answer.json()["data"] == {"products": {"nodes": []}}


async def test_over_an_empty_database_the_examples_open_without_values(
    client: GraphQLClient,
) -> None:
    setup = _setup(await client.http.get("/graphql", headers={"accept": BROWSER}))
    update = json.loads(_tabs(setup)["3-update-product"]["variables"])
    assert update == {"productId": None, "productRev": None}
