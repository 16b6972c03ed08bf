"""Representative queries over seeded data, compared with checked-in results.

The seed is deterministic (ids, names, times and numbers), so any change in what a query
returns shows here as a diff. Regenerate after an intended change with
`STOREFRONT_UPDATE_GOLDEN=1 pytest tests/api/test_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sql import seed
from sql.pool import Database
from tests.api.conftest import GraphQLClient

GOLDEN = Path(__file__).parent / "golden"

QUERIES = {
    "products_by_price": """{ products(first: 5, orderBy: [{field: PRICE, direction: DESC}]) {
        totalCount nodes { sku name price stock category { name } }
        pageInfo { hasNextPage hasPreviousPage } } }""",
    "shipped_orders": """{ orders(first: 3, filter: {status: {eq: SHIPPED}}) {
        totalCount nodes { number status total placedAt paidAt shippedAt customer { name }
          lines { quantity unitPrice subtotal product { sku } } } } }""",
    "customers_with_orders": """{ customers(first: 3, orderBy: [{field: EMAIL}]) {
        nodes { email orderCount totalSpent
          orders(first: 2, orderBy: [{field: PLACED_AT, direction: DESC}]) {
            totalCount nodes { number status total } } } } }""",
    "categories_top_stock": """{ categories { nodes { name productCount
        products(first: 2, orderBy: [{field: STOCK, direction: DESC}]) {
          nodes { sku stock } } } } }""",
    "search_slim": """{ products(search: "slim", first: 4) { totalCount nodes { name } } }""",
    "filtered_customers": """{ customers(first: 4, filter: {
        hasOrders: {total: {gt: "150"}, status: {in: [PAID, SHIPPED]}}}) {
        totalCount nodes { name } } }""",
}


@pytest.fixture
async def seeded(db: Database) -> None:
    async with db.acquire() as conn:
        await seed.load(
            conn, scale=seed.Scale(customers=20, categories=5, products=60, orders=80), seed=3
        )


@pytest.mark.parametrize("name", list(QUERIES))
async def test_golden(client: GraphQLClient, seeded: None, name: str) -> None:
    data = await client.data(QUERIES[name])
    path = GOLDEN / f"{name}.json"
    if os.environ.get("STOREFRONT_UPDATE_GOLDEN"):
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    assert data == json.loads(path.read_text())
