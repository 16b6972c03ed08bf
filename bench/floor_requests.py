"""The floor's canonical requests (bench/floor.py answers exactly these texts), and what
its handlers share."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sql import products  # noqa: E402
from sql.entity import SortKey, with_tiebreak  # noqa: E402
from sql.pool import Database  # noqa: E402

Q1 = "query($id: ID!) { product(id: $id) { id sku name price stock updatedAt } }"
Q2 = (
    "query { orders(first: 50) { edges { node { number status total customer { name email } "
    "lines { quantity unitPrice product { name price category { name } } } } } } }"
)
Q3 = (
    'query($category: String!) { products(first: 100, filter: {price: {gte: "10", lte: "500"}, '
    "category: {name: {eq: $category}}}, orderBy: [{field: PRICE, direction: DESC}]) { "
    "totalCount nodes { id name price stock } pageInfo { hasNextPage endCursor } } }"
)
Q4 = (
    "mutation($id: ID!, $rev: Int!, $price: Decimal!) { updateProduct(id: $id, rev: $rev, "
    "patch: {price: $price}) { __typename ... on UpdateProductSuccess { product { id rev price "
    "updatedAt } } ... on ConflictError { expectedRev currentRev } } }"
)
Q5 = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename "
    "... on PlaceOrderSuccess { order { id number total lines { quantity unitPrice } } } } }"
)

Q6 = (
    "query { orders { groupBy(by: [{field: PLACED_AT, bucket: MONTH}, {field: STATUS}], "
    "first: 100) { nodes { key { placedAt status } aggregate { count sum { total } } } } } }"
)

Q3_PAGE = 100
Q3_MIN_PRICE = Decimal("10")
Q3_MAX_PRICE = Decimal("500")
Q3_ORDER = with_tiebreak(
    [SortKey(products.PRODUCTS.sortable["PRICE"].expression, Decimal, descending=True)]
)

Variables = dict[str, Any]
Handler = Callable[[Database, Variables], Awaitable[dict[str, Any]]]
