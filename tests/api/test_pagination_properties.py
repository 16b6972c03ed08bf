"""Properties of connections over generated data with ties and nulls.

For random orderings, filters and page sizes: walking forward with `after` and backward
with `before` visits every matching row exactly once, in the order one SQL ORDER BY over
the whole table gives; the rows that match are exactly those a plain-Python evaluation of
the filter picks; `totalCount` is the number of rows walked.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.node_ids import from_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import over_the_app

NAMES = ["lamp", "Lamp", "desk", "chair", "mug 50%", "mug_2", "back\\slash"]
PRICES = [Decimal("1.00"), Decimal("2.50"), Decimal("10.00")]
STOCKS = [0, 1, 5]
DESCRIPTIONS = [None, None, "warm light", "50% wool", "under_score"]
CATEGORIES = ["Alpha", "Beta", "Gamma"]
FIELDS = {
    "NAME": "name",
    "SKU": "sku",
    "PRICE": "price",
    "STOCK": "stock",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
}
PATTERNS = ["la", "L", "%", "_", "\\", "mug", "50", "o", ""]


@pytest.fixture
async def rows(db: Database) -> list[dict[str, Any]]:
    rng = random.Random(7)
    categories = {name: await factories.category(db, name) for name in CATEGORIES}
    for _ in range(36):
        at = factories.BASE_TIME + timedelta(days=rng.choice([0, 1, 2]))
        await factories.product(
            db,
            categories[rng.choice(CATEGORIES)],
            rng.choice(NAMES),
            price=rng.choice(PRICES),
            stock=rng.choice(STOCKS),
            description=rng.choice(DESCRIPTIONS),
            created_at=at,
            updated_at=at,
        )
    records = await db.fetch(
        "SELECT p.id, p.sku, p.name, p.description, p.price, p.stock, p.created_at,"
        " p.updated_at, c.name AS category FROM products p JOIN categories c"
        " ON c.id = p.category_id"
    )
    return [dict(r) for r in records]


def leaf() -> st.SearchStrategy[dict[str, Any]]:
    number = st.sampled_from(["eq", "neq", "lt", "lte", "gt", "gte"])
    text = st.sampled_from(["contains", "startsWith", "endsWith"])
    return st.one_of(
        st.builds(lambda op, v: {"price": {op: str(v)}}, number, st.sampled_from(PRICES)),
        st.builds(lambda op, v: {"stock": {op: v}}, number, st.sampled_from(STOCKS)),
        st.builds(
            lambda op, v: {"stock": {op: v}},
            st.sampled_from(["in", "nin"]),
            st.lists(st.sampled_from(STOCKS), max_size=2),
        ),
        st.builds(lambda op, v: {"name": {op: v}}, text, st.sampled_from(PATTERNS)),
        st.builds(lambda v: {"name": {"eq": v}}, st.sampled_from(NAMES)),
        st.builds(lambda op, v: {"description": {op: v}}, text, st.sampled_from(PATTERNS)),
        st.builds(lambda v: {"description": {"isNull": v}}, st.booleans()),
        st.builds(
            lambda op, v: {"description": {op: v}},
            st.sampled_from(["eq", "neq"]),
            st.sampled_from(DESCRIPTIONS[2:]),
        ),
        st.builds(
            lambda op, v: {"description": {op: v}},
            st.sampled_from(["in", "nin"]),
            st.lists(st.sampled_from(DESCRIPTIONS[2:]), max_size=2),
        ),
        st.builds(lambda v: {"category": {"name": {"eq": v}}}, st.sampled_from(CATEGORIES)),
    )


filters = st.recursive(
    leaf(),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: {"and": items}),
        st.lists(inner, max_size=3).map(lambda items: {"or": items}),
        inner.map(lambda item: {"not": item}),
        st.tuples(inner, inner).map(lambda pair: {**pair[1], **pair[0]}),
    ),
    max_leaves=5,
)
orderings = st.lists(
    st.tuples(st.sampled_from(list(FIELDS)), st.booleans()),
    max_size=3,
    unique_by=lambda item: item[0],
)


def matches(row: dict[str, Any], spec: dict[str, Any]) -> bool:
    """The filter, evaluated the way the contract says, in plain Python."""
    for key, value in spec.items():
        if key == "and" and not all(matches(row, item) for item in value):
            return False
        if key == "or" and not any(matches(row, item) for item in value):
            return False
        if key == "not" and matches(row, value):
            return False
        if key == "category" and not compare(row["category"], value["name"]):
            return False
        if key in ("price", "stock", "name", "description") and not compare(row[key], value):
            return False
    return True


def compare(actual: Any, ops: dict[str, Any]) -> bool:
    for op, raw in ops.items():
        expected: Any = Decimal(raw) if isinstance(actual, Decimal) and op != "isNull" else raw
        if op == "isNull":
            ok = (actual is None) == expected
        elif op == "neq":
            ok = actual is None or actual != expected
        elif op == "nin":
            ok = actual is None or actual not in expected
        elif actual is None:
            ok = False
        elif op == "eq":
            ok = actual == expected
        elif op == "in":
            ok = actual in expected
        elif op in ("lt", "lte", "gt", "gte"):
            ok = {
                "lt": actual < expected,
                "lte": actual <= expected,
                "gt": actual > expected,
                "gte": actual >= expected,
            }[op]
        else:
            text, part = actual.lower(), expected.lower()
            ok = {
                "contains": part in text,
                "startsWith": text.startswith(part),
                "endsWith": text.endswith(part),
            }[op]
        if not ok:
            return False
    return True


QUERY = """query($first: Int, $after: String, $last: Int, $before: String,
                 $filter: ProductFilter, $orderBy: [ProductOrderBy!]) {
  products(first: $first, after: $after, last: $last, before: $before,
           filter: $filter, orderBy: $orderBy) {
    totalCount edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def walk(
    client: GraphQLClient, size: int, where: Any, order_by: Any, *, backward: bool
) -> tuple[list[UUID], int]:
    seen: list[UUID] = []
    cursor = None
    total = -1
    while True:
        variables = {"filter": where, "orderBy": order_by}
        if backward:
            variables |= {"last": size, "before": cursor}
        else:
            variables |= {"first": size, "after": cursor}
        page = (await client.data(QUERY, variables))["products"]
        total = page["totalCount"]
        ids = [from_global_id(e["node"]["id"])[1] for e in page["edges"]]  # type: ignore[index]
        seen = ids + seen if backward else seen + ids
        info = page["pageInfo"]
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return seen, total
        assert ids, "a page with more beyond it must not be empty"
        cursor = info["startCursor"] if backward else info["endCursor"]
        assert len(seen) <= 100, "pagination does not terminate"


@over_the_app(40)
@given(where=filters, order=orderings, size=st.integers(min_value=1, max_value=7))
async def test_walks_visit_matching_rows_once_in_sql_order(
    client: GraphQLClient,
    db: Database,
    rows: list[dict[str, Any]],
    where: dict[str, Any],
    order: list[tuple[str, bool]],
    size: int,
) -> None:
    order_by = [
        {"field": field, "direction": "DESC" if descending else "ASC"}
        for field, descending in order
    ] or None
    keys = order or [("NAME", False)]
    tiebreak = "DESC" if keys[-1][1] else "ASC"
    sql_order = ", ".join(f"{FIELDS[f]} {'DESC' if d else 'ASC'}" for f, d in keys)
    in_sql_order = [
        r["id"]
        for r in await db.fetch(
            f"SELECT id FROM products WHERE deleted_at IS NULL ORDER BY {sql_order}, id {tiebreak}"
        )
    ]
    wanted = {row["id"] for row in rows if matches(row, where)}
    expected = [i for i in in_sql_order if i in wanted]

    forward, total = await walk(client, size, where, order_by, backward=False)
    assert forward == expected
    assert total == len(expected)
    backward, total_back = await walk(client, size, where, order_by, backward=True)
    assert backward == expected
    assert total_back == len(expected)
