"""Two `storefront serve` processes on one database, both through PgBouncer in transaction
mode, behave as one: stock, revisions and idempotency keys hold across them, and the
migrations ran once (over the direct URL, under their lock). So do the two workers of one
`storefront serve` with `STOREFRONT_WORKERS=2`."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest

from engine.node_ids import to_global_id as gid
from server.pgbouncer import PgBouncer
from sql.migrate import load_migrations
from sql.pool import Database
from tests import factories
from tests.api.test_order_mutations import PLACE, order_input
from tests.conftest import TEST_SECRET, token
from tests.e2e.conftest import RunningServer, storefront_serve
from tests.e2e.test_serve import LISTENING, owners_of, sockets_on, wait_for

pytestmark = pytest.mark.e2e

UPDATE = """mutation($id: ID!, $rev: Int!, $name: String!) {
  updateProduct(id: $id, rev: $rev, patch: {name: $name}) { __typename } }"""
CREATE = """mutation($name: String!, $key: String) {
  createCategory(input: {name: $name}, idempotencyKey: $key) {
    __typename ... on CreateCategorySuccess { category { id } } } }"""


@pytest.fixture(params=["two-instances", "two-workers"])
def two(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    pooler: PgBouncer,
    direct_database_url: str,
    db: Database,
) -> Iterator[tuple[RunningServer, RunningServer]]:
    pgbouncer_url = pooler.url
    env = {
        **pooler.env(),
        "STOREFRONT_SEED_DEMO": "false",
        "DATABASE_DIRECT_URL": direct_database_url,
        "STOREFRONT_MAX_CONCURRENT_REQUESTS": "1000",
        "STOREFRONT_POOL_ACQUIRE_TIMEOUT": "30",
        "STOREFRONT_JWT_SECRET": TEST_SECRET,
    }
    if request.param == "two-workers":
        (tmp_path / "a").mkdir()
        env["STOREFRONT_WORKERS"] = "2"
        with storefront_serve(tmp_path / "a", database_url=pgbouncer_url, extra_env=env) as one:
            _both_workers_through(one, pgbouncer_url)
            yield one, one  # each request a new connection, which the kernel hands to either
        return
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(
                storefront_serve(tmp_path / name, database_url=pgbouncer_url, extra_env=env)
            )
            for name in ("a", "b")
        ]
        yield servers[0], servers[1]


def _both_workers_through(server: RunningServer, pgbouncer_url: str) -> None:
    """Two workers listen, and each holds its own pool's connections to PgBouncer."""
    port = int(server.base_url.rsplit(":", 1)[1])
    wait_for(lambda: len(sockets_on(port, LISTENING)) == 2, what="two listening workers")
    pooler = urlsplit(pgbouncer_url).port
    assert pooler is not None
    wait_for(
        lambda: len(owners_of(_sockets_to(pooler), server.process.pid)) == 2,
        what="connections to PgBouncer from both workers",
    )


def _sockets_to(port: int) -> set[str]:
    """Inodes of the established IPv4 TCP sockets whose remote port is `port`."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
            found.add(fields[9])
    return found


async def _post(server: RunningServer, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.post(
            server.graphql_url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token('staff')}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    [value] = body["data"].values()
    assert isinstance(value, dict)
    return value


async def test_two_instances_behave_as_one(
    two: tuple[RunningServer, RunningServer], db: Database
) -> None:
    a, b = two
    either = [a, b] * 10
    migrations = await db.fetchval("SELECT count(*) FROM schema_migrations")
    assert migrations == len(load_migrations())

    category = await factories.category(db)
    customer = await factories.customer(db)
    product: UUID = await factories.product(db, category, stock=5)

    # Stock: twenty orders for one unit each of five, half through each instance.
    orders = order_input(customer, (product, 1))
    placed = await asyncio.gather(*(_post(s, PLACE, input=orders) for s in either))
    kinds = Counter(r["__typename"] for r in placed)
    assert kinds == {"PlaceOrderSuccess": 5, "InsufficientStockError": 15}
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", product) == 0

    # Revisions: twenty writers of the current rev; exactly one wins.
    id = gid("Product", product)
    rev = await db.fetchval("SELECT rev FROM products WHERE id = $1", product)
    updates = await asyncio.gather(
        *(_post(s, UPDATE, id=id, rev=rev, name=f"name {i}") for i, s in enumerate(either))
    )
    assert Counter(r["__typename"] for r in updates) == {
        "UpdateProductSuccess": 1,
        "ConflictError": 19,
    }

    # Idempotency: the same key through both instances creates one category.
    created = await asyncio.gather(*(_post(s, CREATE, name="Lamps", key="k-1") for s in either))
    assert len({r["category"]["id"] for r in created}) == 1
    assert await db.fetchval("SELECT count(*) FROM categories WHERE name = 'Lamps'") == 1
