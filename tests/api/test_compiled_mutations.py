"""Compiled mutations answer as graphql-core does, and never write twice.

A mutation changes the data, so the two apps of `test_compiled_reads` cannot answer the
same request over the same rows: each answers it over freshly seeded, identical data (the
tables emptied and the same rows with the same ids written again). What the database makes
anew for each write (the time of `now()`, ids of new rows, the WAL position in `readAfter`)
differs between the two runs; such values are renamed in order of appearance
(`_comparable`), so the answers must still agree on everything else, and on which of those
values are equal to each other.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine.node_ids import from_global_id, to_global_id
from sql.pool import Database
from tests.api.test_compiled_reads import (
    CUSTOMERS,
    LAMP,
    LIGHTING,
    ORDERS,
    OWNER,
    PRODUCTS,
    STOOL,
    Pair,
    _pair,
    seed,
)
from tests.conftest import DOMAIN_TABLES

SEEDED = {*CUSTOMERS, *PRODUCTS, *ORDERS, LIGHTING}
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

UPDATE = """mutation($id: ID!, $rev: Int!, $price: Decimal!) {
  updateProduct(id: $id, rev: $rev, patch: {price: $price}) { __typename
    ... on UpdateProductSuccess { product { id rev price updatedAt category { name } } }
    ... on ConflictError { expectedRev currentRev } ... on Error { message code } } }"""
PLACE = """mutation($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) { __typename
    ... on PlaceOrderSuccess { order { id number total status customer { name }
      lines { quantity unitPrice product { name stock } } } }
    ... on InsufficientStockError { items { requested available product { name } } }
    ... on Error { message code } } }"""


def _comparable(value: Any, names: dict[str, str] | None = None) -> Any:
    """`value` with what each run makes anew renamed in order of appearance."""
    names = {} if names is None else names
    if isinstance(value, dict):
        return {k: _comparable(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v, names) for v in value]
    if isinstance(value, str):
        decoded = from_global_id(value)
        made = decoded is not None and decoded[1] not in SEEDED
        if made or _INSTANT.match(value) or value.startswith("1."):  # readAfter: 1.<lsn>
            return names.setdefault(value, f"<made {len(names)}>")
    return value


@pytest.fixture
async def apps(database_url: str, db: Database) -> AsyncIterator[Pair]:
    """An app with compiled plans and one without, over the same database."""
    async with _pair(database_url, db, connections=5) as both:
        yield both


async def _fresh(db: Database) -> None:
    await db.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")
    await seed(db)


async def _both(
    apps: Pair, db: Database, body: dict[str, Any], viewer: str = "staff"
) -> tuple[Any, int]:
    """`body` sent to each app over fresh data; their answers (made comparable) must be
    equal. Returns the compiled app's answer and how many runs it abandoned."""
    answers = []
    abandoned = 0
    for http, endpoint in ((apps.compiled, apps.endpoint), (apps.plain, apps.plain_endpoint)):
        await _fresh(db)
        before = endpoint.abandoned
        headers = {"X-Request-ID": "differential"}
        bearer = apps.bearers[viewer]
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        response = await http.post("/graphql", json=body, headers=headers)
        answers.append((response.status_code, _comparable(response.json())))
        if endpoint is apps.endpoint:
            abandoned = endpoint.abandoned - before
    assert apps.plain_endpoint.abandoned == 0
    assert answers[0] == answers[1], answers
    return answers[0][1], abandoned


def _seeded_orders(customer: Any) -> int:
    return sum(1 for owner, _, _ in ORDERS.values() if owner == customer)


def _order(*lines: tuple[Any, int]) -> dict[str, Any]:
    return {
        "customerId": to_global_id("Customer", OWNER),
        "lines": [{"productId": to_global_id("Product", p), "quantity": q} for p, q in lines],
    }


async def test_updates_answer_identically_from_the_plan(apps: Pair, db: Database) -> None:
    """A success, a stale rev, an unknown id and a refused viewer: the same answers, all
    from the compiled plan, and a success carries `readAfter`."""
    lamp = to_global_id("Product", LAMP)
    cases = [
        ({"id": lamp, "rev": 1, "price": "30.00"}, "staff", "UpdateProductSuccess"),
        ({"id": lamp, "rev": 7, "price": "30.00"}, "staff", "ConflictError"),
        ({"id": to_global_id("Product", OWNER), "rev": 1, "price": "1"}, "staff", "NotFoundError"),
        ({"id": lamp, "rev": 1, "price": "30.00"}, "customer", "ForbiddenError"),
        ({"id": lamp, "rev": 1, "price": "-1"}, "staff", "ValidationError"),
    ]
    for variables, viewer, typename in cases:
        body, abandoned = await _both(apps, db, {"query": UPDATE, "variables": variables}, viewer)
        assert abandoned == 0
        assert body["data"]["updateProduct"]["__typename"] == typename, body
        assert ("readAfter" in body["extensions"]) == (typename == "UpdateProductSuccess")


async def test_orders_answer_identically_from_the_plan(apps: Pair, db: Database) -> None:
    """placeOrder placed, short of stock, and retried with its idempotency key (the retry
    gets the first answer back and writes nothing more)."""
    placed = {"input": _order((LAMP, 2), (STOOL, 1)), "key": "k-1"}
    body, abandoned = await _both(apps, db, {"query": PLACE, "variables": placed})
    assert abandoned == 0
    assert body["data"]["placeOrder"]["__typename"] == "PlaceOrderSuccess"
    short = {"input": _order((LAMP, 500))}
    body, abandoned = await _both(apps, db, {"query": PLACE, "variables": short})
    assert abandoned == 0
    assert body["data"]["placeOrder"]["__typename"] == "InsufficientStockError"
    first = await apps.compiled.post(
        "/graphql",
        json={"query": PLACE, "variables": placed},
        headers={"Authorization": f"Bearer {apps.bearers['staff']}"},
    )
    again = await apps.compiled.post(
        "/graphql",
        json={"query": PLACE, "variables": placed},
        headers={"Authorization": f"Bearer {apps.bearers['staff']}"},
    )
    assert again.json()["data"] == first.json()["data"]
    orders = await db.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", OWNER)
    assert orders == _seeded_orders(OWNER) + 1


async def test_a_failure_after_the_write_does_not_write_again(apps: Pair, db: Database) -> None:
    """The order is placed, then a field of its answer fails (a bad cursor): the plan is
    abandoned and graphql-core answers from the order that was placed, with the error at
    its path. The failure reaches the non-null root field, so `data` is null and the next
    root field never runs, on either path: one order, no stock adjustment."""
    document = """mutation($input: PlaceOrderInput!, $id: ID!) {
      placeOrder(input: $input) { __typename ... on PlaceOrderSuccess { order { number
        customer { orders(after: "garbage") { totalCount } } } } }
      adjustStock(id: $id, delta: 5) { __typename ... on AdjustStockSuccess {
        product { stock } } } }"""
    variables = {"input": _order((LAMP, 1)), "id": to_global_id("Product", STOOL)}
    body, abandoned = await _both(apps, db, {"query": document, "variables": variables})
    assert abandoned == 1
    assert body["errors"][0]["path"] == ["placeOrder", "order", "customer", "orders"]
    assert body["data"] is None
    orders = await db.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", OWNER)
    assert orders == _seeded_orders(OWNER) + 1
    stock = await db.fetchval("SELECT stock FROM products WHERE id = $1", STOOL)
    assert stock == PRODUCTS[STOOL][4]


async def test_root_fields_run_in_order(apps: Pair, db: Database) -> None:
    """Two root fields, the second refused as short of stock after the first wrote: the
    same data on both paths, in field order, and the first write made once."""
    document = """mutation($a: ID!, $b: ID!) {
      first: adjustStock(id: $a, delta: 1) { __typename }
      second: adjustStock(id: $b, delta: -1000) { __typename
        ... on InsufficientStockError { items { available } } } }"""
    variables = {"a": to_global_id("Product", LAMP), "b": to_global_id("Product", STOOL)}
    body, abandoned = await _both(apps, db, {"query": document, "variables": variables})
    assert abandoned == 0
    assert list(body["data"]) == ["first", "second"]
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", LAMP) == 13
