"""Reads from a real streaming replica (`pg_basebackup -R`) that applies commits a second
late on purpose (`recovery_min_apply_delay`): a read right after a write is stale without
the token and never with it, a replica too far behind is left out, and a replica that stops
costs no read."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest

from engine.node_ids import to_global_id
from server.app import create_app
from server.embedded import EmbeddedPostgres
from server.settings import Settings
from sql import migrate
from sql.pool import Database, connect, create_pool
from sql.replicas import Replicas
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import DOMAIN_TABLES, through_pooler, token

APPLY_DELAY_MS = 1000

UPDATE = """
mutation($id: ID!, $rev: Int!, $price: Decimal!) {
  updateProduct(id: $id, rev: $rev, patch: {price: $price}) {
    ... on UpdateProductSuccess { product { rev price } }
  }
}
"""
READ = "query($id: ID!) { product(id: $id) { price } }"


@dataclass
class Cluster:
    primary: EmbeddedPostgres
    standby: EmbeddedPostgres


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if through_pooler():
        pytest.skip("the replicas are servers of their own, not behind the suite's pooler")
    primary = EmbeddedPostgres(tmp_path_factory.mktemp("primary"), durable=False)
    primary.start()
    try:
        asyncio.run(_migrate(primary.url))
        standby = primary.replica(
            tmp_path_factory.mktemp("standby"), recovery_min_apply_delay=str(APPLY_DELAY_MS)
        )
        standby.start()
        try:
            yield Cluster(primary, standby)
        finally:
            standby.stop()
    finally:
        primary.stop()


async def _migrate(url: str) -> None:
    async with connect(url) as conn:
        await migrate.migrate(conn)


@dataclass
class Shop:
    db: Database
    product: str  # global id
    rev: int


@pytest.fixture
async def shop(cluster: Cluster) -> AsyncIterator[Shop]:
    """One product at 10.00, already on the replica."""
    db = await create_pool(cluster.primary.url, min_size=1, max_size=2, statement_timeout_ms=0)
    try:
        await db.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")
        product_id = await factories.product(db, await factories.category(db), price="10.00")
        await _until_on_replica(cluster.standby.url, product_id)
        yield Shop(db, to_global_id("Product", product_id), rev=1)
    finally:
        await db.close()


async def _until_on_replica(url: str, product_id: UUID) -> None:
    async with connect(url) as conn:
        for _ in range(200):
            if await conn.fetchval("SELECT count(*) FROM products WHERE id = $1", product_id):
                return
            await asyncio.sleep(0.05)
    pytest.fail("the replica never showed the product")


@contextlib.asynccontextmanager
async def app(cluster: Cluster, **settings: Any) -> AsyncIterator[tuple[GraphQLClient, Replicas]]:
    configured = Settings(
        database_url=cluster.primary.url,
        database_replica_url=cluster.standby.url,
        pool_min_size=1,
        pool_max_size=4,
        **settings,
    )
    application = create_app(configured)
    async with application.router.lifespan_context(application):
        replicas: Replicas = application.state.replicas
        # A replica is in use once measured within the lag limit (every commit, autovacuum's
        # too, reaches it a second late).
        assert await _healthy(replicas), "the replica never came into use"
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, bearer=token("staff")), replicas


async def _healthy(replicas: Replicas, seconds: float = 5) -> bool:
    for _ in range(int(seconds / 0.05)):
        if replicas.members[0].healthy:
            return True
        await asyncio.sleep(0.05)
    return False


async def _write(client: GraphQLClient, shop: Shop, price: str) -> str:
    body = await client.query(UPDATE, {"id": shop.product, "rev": shop.rev, "price": price})
    assert body["data"]["updateProduct"]["product"]["price"] == price, body
    shop.rev += 1
    token: str = body["extensions"]["readAfter"]
    return token


async def _price(client: GraphQLClient, shop: Shop, read_after: str | None = None) -> str:
    headers = {} if read_after is None else {"X-Read-After": read_after}
    response = await client.post({"query": READ, "variables": {"id": shop.product}}, **headers)
    body = response.json()
    assert "errors" not in body, body
    price: str = body["data"]["product"]["price"]
    return price


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "graphql-core"])
async def test_a_read_after_a_write_is_stale_without_the_token_and_fresh_with_it(
    cluster: Cluster, shop: Shop, compiled: bool
) -> None:
    async with app(cluster, compiled_reads=compiled) as (client, replicas):
        read_after = await _write(client, shop, "11.00")
        assert await _price(client, shop) == "10.00"  # the replica answered, a second behind
        assert replicas.served[replicas.members[0].name] == 1
        assert await _price(client, shop, read_after) == "11.00"  # not replayed within 200 ms
        assert replicas.served["primary"] == 1

    async with app(cluster, compiled_reads=compiled, replica_max_wait_ms=5000) as (client, rs):
        read_after = await _write(client, shop, "12.00")
        started = time.monotonic()
        assert await _price(client, shop, read_after) == "12.00"
        assert time.monotonic() - started > 0.3  # it waited for the replica ...
        assert rs.served == {rs.members[0].name: 1}  # ... which then answered


async def test_a_replica_further_behind_than_the_limit_is_left_out(
    cluster: Cluster, shop: Shop
) -> None:
    async with app(cluster, replica_max_lag_ms=300) as (client, replicas):
        replica = replicas.members[0]
        await _write(client, shop, "13.00")
        await asyncio.sleep(0.6)  # the replica's lag, measured, passes 300 ms
        assert not replica.healthy
        assert await _price(client, shop) == "13.00"
        assert replicas.served == {"primary": 1}
        assert await _healthy(replicas)  # once it has applied the write, it is back
        assert await _price(client, shop) == "13.00"
        assert replicas.served[replica.name] == 1


async def test_a_stopped_replica_costs_no_read(cluster: Cluster, shop: Shop) -> None:
    async with app(cluster) as (client, replicas):
        replica = replicas.members[0]
        assert await _price(client, shop) == "10.00"
        assert replicas.served[replica.name] == 1
        cluster.standby.stop()
        try:
            prices = await asyncio.gather(*(_price(client, shop) for _ in range(20)))
            assert prices == ["10.00"] * 20
            assert replicas.served["primary"] == 20
            assert not replica.healthy
        finally:
            cluster.standby.start()
        assert await _healthy(replicas)  # back in use once it answers again
        assert await _price(client, shop) == "10.00"
        assert replicas.served[replica.name] == 2


@pytest.mark.parametrize("header", ["", "nonsense", "1.", "1.xyz", "2.16b374d848", "1." + "f" * 17])
async def test_a_malformed_token_is_bad_user_input(client: GraphQLClient, header: str) -> None:
    response = await client.post({"query": "{ __typename }"}, **{"X-Read-After": header})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert "data" not in body


async def test_a_mutation_that_wrote_carries_its_token_and_one_that_did_not_none(
    client: GraphQLClient, db: Database
) -> None:
    product_id = await factories.product(db, await factories.category(db))
    shop = Shop(db, to_global_id("Product", product_id), rev=1)
    read_after = await _write(client, shop, "20.00")
    assert read_after.startswith("1.")
    stale = await client.query(UPDATE, {"id": shop.product, "rev": 1, "price": "21.00"})
    assert "readAfter" not in stale["extensions"]  # a conflict writes nothing
    assert await _price(client, shop, read_after) == "20.00"  # no replicas: the primary
