"""Helpers for the metrics and tracing tests: a small shop, Q2, and a scrape read back."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prometheus_client.parser import text_string_to_metric_families

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories

Q2 = (
    "query Orders { orders(first: 50) { edges { node { number status total customer { name "
    "email } lines { quantity unitPrice product { name price category { name } } } } } } }"
)
"""The benchmark's nested query (bench/floor_requests.py), named."""

PLACE = (
    "mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { "
    "... on PlaceOrderSuccess { order { number } } } }"
)
"""placeOrder selecting nothing of its errors: the outcome must not depend on the selection."""

UPDATE = (
    "mutation Price($id: ID!, $rev: Int!) { updateProduct(id: $id, rev: $rev, "
    'patch: {price: "12.00"}) { __typename } }'
)
"""updateProduct: the tests hold the product's row lock to keep it waiting."""


async def shop(db: Database) -> dict[str, UUID]:
    """A customer with three orders over two products (one with 1 in stock)."""
    category = await factories.category(db)
    a = await factories.product(db, category, stock=100)
    b = await factories.product(db, category, stock=1)
    customer = await factories.customer(db)
    for _ in range(3):
        await factories.order(db, customer, [(a, 1), (b, 1)])
    return {"customer": customer, "a": a, "b": b}


def place_input(customer: UUID, product: UUID, quantity: int) -> dict[str, Any]:
    return {
        "customerId": to_global_id("Customer", customer),
        "lines": [{"productId": to_global_id("Product", product), "quantity": quantity}],
    }


class Scrape:
    """The samples of one /metrics answer, by name and labels."""

    def __init__(self, text: str) -> None:
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, frozenset(sample.labels.items()))
                self.samples[key] = sample.value

    def value(self, name: str, **labels: str) -> float:
        """The sample of exactly these labels (0 when absent)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum of every sample of `name` whose labels include these."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and wanted <= ls)
