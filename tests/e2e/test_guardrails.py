"""The guardrails through HTTP against a real server process, one check each."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.conftest import TEST_SECRET, token
from tests.e2e.conftest import RunningServer, storefront_serve

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path, database_url: str, db: object) -> Iterator[RunningServer]:
    """A production-mode server on the suite's database, verifying the tests' tokens."""
    with storefront_serve(
        tmp_path,
        database_url=database_url,
        extra_env={
            "STOREFRONT_SEED_DEMO": "false",
            "STOREFRONT_ENV": "production",
            "STOREFRONT_JWT_SECRET": TEST_SECRET,
            "STOREFRONT_SHUTDOWN_DELAY": "0",
        },
    ) as running:
        yield running


def post(server: RunningServer, body: object, **headers: str) -> httpx.Response:
    return httpx.post(server.graphql_url, json=body, headers=headers, timeout=10)


def bearer(role: str, customer: UUID | None = None) -> str:
    return f"Bearer {token(role, customer)}"


async def test_tokens_roles_and_visibility(server: RunningServer, db: Database) -> None:
    ann = await factories.customer(db, "Ann")
    bob = await factories.customer(db, "Bob")
    category = await factories.category(db)
    item = await factories.product(db, category)
    order = await factories.order(db, ann, [(item, 1)])
    query = {
        "query": "query($id: ID!) { order(id: $id) { customer { name } } }",
        "variables": {"id": to_global_id("Order", order)},
    }

    refused = post(server, query, Authorization="Bearer not-a-token")
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "www-authenticate" in refused.headers

    assert post(server, query).json()["data"] == {"order": None}
    assert post(server, query, Authorization=bearer("customer", bob)).json()["data"] == {
        "order": None
    }
    assert post(server, query, Authorization=bearer("customer", ann)).json()["data"] == {
        "order": {"customer": {"name": "Ann"}}
    }
    ship = post(
        server,
        {
            "query": "mutation($id: ID!) { shipOrder(id: $id, rev: 1) { __typename } }",
            "variables": {"id": to_global_id("Order", order)},
        },
        Authorization=bearer("customer", ann),
    )
    assert ship.json()["data"] == {"shipOrder": {"__typename": "ForbiddenError"}}


def test_limits_and_cost(server: RunningServer) -> None:
    deep = "{ __typename }"
    for _ in range(12):
        deep = f"{{ products {{ nodes {{ category {{ products {deep[1:-1]} }} }} }} }}"
    body = post(server, {"query": deep}, Authorization=bearer("staff")).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    fine = post(server, {"query": "{ products(first: 5) { nodes { name } } }"}).json()
    assert fine["extensions"]["cost"]["estimated"] >= 5
    big = post(server, {"query": "{ __typename }", "pad": "x" * (1 << 20)})
    assert big.status_code == 413


def test_introspection_is_for_staff_in_production(server: RunningServer) -> None:
    introspect = {"query": "{ __schema { queryType { name } } }"}
    assert "errors" in post(server, introspect).json()
    staff = post(server, introspect, Authorization=bearer("staff")).json()
    assert staff["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    page = httpx.get(server.graphql_url, headers={"accept": "text/html"}, timeout=10)
    assert "graphiql" not in page.text.lower()


def test_persisted_queries(server: RunningServer) -> None:
    query = "{ products(first: 1) { totalCount } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    hashed = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    miss = post(server, hashed).json()
    assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = post(server, {"query": query, **hashed}).json()
    assert registered["data"] == {"products": {"totalCount": 0}}
    assert post(server, hashed).json()["data"] == registered["data"]
