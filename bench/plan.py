"""What the bench's requests run over: the seeded rows each request reads or writes,
the request bodies, and the database reads and upkeep the harness needs between runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from bench import floor_requests
from bench.common import (
    bench_catalogue,
    place_order_input,
    restock,
)
from engine.node_ids import to_global_id
from sql.pool import connect

REQUESTS = ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6")
TITLES = {
    "Q1": "product(id), 6 fields",
    "Q2": "orders(first: 50), nested",
    "Q3": "products(first: 100), filtered",
    "Q4": "updateProduct, rev-checked",
    "Q5": "placeOrder, 3 lines",
    "Q6": "revenue by month and status",
}


Q1_PRODUCTS = 1000
Q4_PRODUCTS = 2000
Q5_PRODUCTS = 300


@dataclass
class Plan:
    q1_ids: list[UUID]
    q4_ids: list[UUID]
    category: str
    customer: UUID
    q5_ids: list[UUID]

    def body(self, name: str, k: int = 0) -> dict[str, Any]:
        """The k-th body of a read or placeOrder (Q4's need a rev: see `update_body`)."""
        if name == "Q1":
            id = self.q1_ids[k % len(self.q1_ids)]
            return {"query": floor_requests.Q1, "variables": {"id": to_global_id("Product", id)}}
        if name == "Q2":
            return {"query": floor_requests.Q2}
        if name == "Q3":
            return {"query": floor_requests.Q3, "variables": {"category": self.category}}
        if name == "Q5":
            return {"query": floor_requests.Q5, "variables": {"input": self.order_input(k)}}
        if name == "Q6":
            return {"query": floor_requests.Q6}
        raise ValueError(name)

    def bodies(self, name: str) -> list[dict[str, Any]]:
        count = {"Q1": len(self.q1_ids), "Q5": len(self.q5_ids)}.get(name, 1)
        return [self.body(name, k) for k in range(count)]

    def order_input(self, k: int) -> dict[str, Any]:
        """Three distinct products a third of the catalogue apart: orders next to each other
        in the rotation share no product, so they do not queue on each other's rows."""
        n = len(self.q5_ids)
        step = n // 3
        lines = [(self.q5_ids[(k + i * step) % n], i + 1) for i in range(3)]
        return place_order_input(self.customer, lines)


def update_body(gid: str, rev: int, price: str) -> dict[str, Any]:
    return {"query": floor_requests.Q4, "variables": {"id": gid, "rev": rev, "price": price}}


async def make_plan(url: str) -> Plan:
    async with connect(url) as conn:
        ids = [
            row[0]
            for row in await conn.fetch(
                "SELECT id FROM products WHERE deleted_at IS NULL AND sku NOT LIKE 'BENCH-%'"
                " ORDER BY id LIMIT $1",
                Q1_PRODUCTS + Q4_PRODUCTS,
            )
        ]
        if len(ids) < Q1_PRODUCTS + Q4_PRODUCTS:
            raise SystemExit(f"the bench needs {Q1_PRODUCTS + Q4_PRODUCTS} live seeded products")
        category = await conn.fetchval(
            "SELECT c.name FROM categories AS c JOIN products AS p ON p.category_id = c.id"
            " WHERE c.deleted_at IS NULL AND p.deleted_at IS NULL"
            f" AND p.price BETWEEN {floor_requests.Q3_MIN_PRICE} AND {floor_requests.Q3_MAX_PRICE}"
            " GROUP BY c.name ORDER BY count(*) DESC, c.name LIMIT 1"
        )
        customer, q5_ids = await bench_catalogue(conn, products=Q5_PRODUCTS)
        placed = await conn.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", customer)
        if placed:
            async with conn.transaction():
                await conn.execute(
                    "DELETE FROM order_lines WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = $1)",
                    customer,
                )
                await conn.execute("DELETE FROM orders WHERE customer_id = $1", customer)
        # Every run starts from compact tables, whatever earlier runs left behind.
        await conn.execute("VACUUM FULL ANALYZE products, orders, order_lines")
    return Plan(
        q1_ids=ids[:Q1_PRODUCTS],
        q4_ids=ids[Q1_PRODUCTS:],
        category=category,
        customer=customer,
        q5_ids=q5_ids,
    )


async def product_revs(url: str, ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
    async with connect(url) as conn:
        rows = await conn.fetch(
            "SELECT id, rev, price FROM products WHERE id = ANY($1::uuid[])", list(ids)
        )
    by_id = {row[0]: (row[0], row[1], str(row[2])) for row in rows}
    return [by_id[id] for id in ids]


async def fetch_value(url: str, query: str, *args: Any) -> Any:
    async with connect(url) as conn:
        return await conn.fetchval(query, *args)


async def fetch_row(url: str, query: str, *args: Any) -> Any:
    async with connect(url) as conn:
        return await conn.fetchrow(query, *args)


async def restock_products(url: str, ids: Sequence[UUID]) -> None:
    async with connect(url) as conn:
        await restock(conn, ids)


async def vacuum(url: str) -> None:
    """What the writes left dead cleared away (autovacuum may be off, or late), so every
    run of Q4 and Q5 starts from the same tables."""
    async with connect(url) as conn:
        await conn.execute("VACUUM ANALYZE products, orders, order_lines")
