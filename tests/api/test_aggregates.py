"""`aggregate` on every connection equals the same figures computed in Python from the rows:
over the whole filtered (and searched) set, never the page; typed; visible rows only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import over_the_app

STATUSES = ("PENDING", "PAID", "SHIPPED", "CANCELLED")
ORDER_FIGURES = """aggregate { count sum { total } avg { total }
  min { total placedAt paidAt shippedAt } max { total placedAt paidAt cancelledAt } }"""


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def expected_orders(rows: Sequence[Any]) -> dict[str, Any]:
    """What `ORDER_FIGURES` must answer for these order rows, computed here."""
    totals = [r["total"] for r in rows]

    def least(column: str) -> str | None:
        values = [r[column] for r in rows if r[column] is not None]
        return _stamp(min(values)) if values else None

    def greatest(column: str) -> str | None:
        values = [r[column] for r in rows if r[column] is not None]
        return _stamp(max(values)) if values else None

    return {
        "count": len(rows),
        "sum": {"total": str(sum(totals)) if totals else None},
        "avg": {"total": sum(totals) / len(totals) if totals else None},
        "min": {
            "total": str(min(totals)) if totals else None,
            "placedAt": least("placed_at"),
            "paidAt": least("paid_at"),
            "shippedAt": least("shipped_at"),
        },
        "max": {
            "total": str(max(totals)) if totals else None,
            "placedAt": greatest("placed_at"),
            "paidAt": greatest("paid_at"),
            "cancelledAt": greatest("cancelled_at"),
        },
    }


def assert_figures(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal, the mean to within the database's rounding (it keeps 16 or more digits)."""
    mean = expected["avg"]["total"]
    got = answer["avg"]["total"]
    if mean is None:
        assert got is None
    else:
        assert abs(Decimal(got) - mean) < Decimal("1e-12"), (got, mean)
    rest = {k: v for k, v in answer.items() if k != "avg"}
    assert {**rest, "min": _times(rest["min"]), "max": _times(rest["max"])} == {
        **{k: v for k, v in expected.items() if k != "avg"},
        "min": _times(expected["min"]),
        "max": _times(expected["max"]),
    }


def _times(part: dict[str, Any]) -> dict[str, Any]:
    """Timestamps as instants, whatever offset they were written with."""
    return {
        k: datetime.fromisoformat(v) if isinstance(v, str) and "T" in v else v
        for k, v in part.items()
    }


@pytest.fixture
async def store(db: Database) -> dict[str, Any]:
    """3 customers with orders of every status, one deleted order, one customer with none."""
    category = await factories.category(db, "Lighting")
    lamp = await factories.product(db, category, "Brass lamp", price="24.90", stock=4)
    desk = await factories.product(db, category, "Oak desk", price="399.00", stock=1)
    customers = [await factories.customer(db) for _ in range(4)]
    orders = []
    for i in range(14):
        lines = [(lamp, 1 + i % 3)] + ([(desk, 1)] if i % 4 == 0 else [])
        placed = factories.BASE_TIME + timedelta(days=i * 9, hours=i)
        orders.append(
            await factories.order(
                db, customers[i % 3], lines, status=STATUSES[i % 4], placed_at=placed
            )
        )
    await factories.soft_delete(db, "orders", orders[5])
    return {"customers": customers, "orders": orders, "lamp": lamp, "desk": desk}


async def _orders(db: Database, where: str = "TRUE", *args: Any) -> list[Any]:
    return list(await db.fetch(f"SELECT * FROM orders WHERE deleted_at IS NULL AND {where}", *args))


async def test_root_aggregate_covers_every_live_order_not_the_page(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    data = await client.data(f"{{ orders(first: 2) {{ nodes {{ number }} {ORDER_FIGURES} }} }}")
    assert len(data["orders"]["nodes"]) == 2
    assert_figures(data["orders"]["aggregate"], expected_orders(await _orders(db)))


async def test_filter_applies_and_empty_sets_are_null(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    query = f"""query($f: OrderFilter) {{ orders(filter: $f) {{ {ORDER_FIGURES} }} }}"""
    paid = await client.data(query, {"f": {"status": {"in": ["PAID", "SHIPPED"]}}})
    rows = await _orders(db, "status IN ('PAID', 'SHIPPED')")
    assert_figures(paid["orders"]["aggregate"], expected_orders(rows))
    none = await client.data(query, {"f": {"total": {"lt": "0"}}})
    assert_figures(none["orders"]["aggregate"], expected_orders([]))
    assert none["orders"]["aggregate"]["count"] == 0


async def test_nested_aggregates_per_customer(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    data = await client.data(
        f"""{{ customers {{ nodes {{ id
             orders(filter: {{status: {{neq: CANCELLED}}}}) {{ {ORDER_FIGURES} }} }} }} }}"""
    )
    nodes = data["customers"]["nodes"]
    assert len(nodes) == 4
    for node in nodes:
        customer = next(c for c in store["customers"] if to_global_id("Customer", c) == node["id"])
        rows = await _orders(db, "customer_id = $1 AND status <> 'CANCELLED'", customer)
        assert_figures(node["orders"]["aggregate"], expected_orders(rows))


async def test_products_sums_of_integers_and_search(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    data = await client.data(
        """{ all: products { aggregate { count sum { price stock } avg { stock }
                                         min { price stock } max { stock createdAt } } }
             lamps: products(search: "lamp") { aggregate { count sum { stock } } }
             categories { nodes { products { aggregate { count max { price } } } } } }"""
    )
    every = data["all"]["aggregate"]
    assert every["count"] == 2
    assert every["sum"] == {"price": "423.90", "stock": 5}  # an Int stays an Int
    assert Decimal(every["avg"]["stock"]) == Decimal("2.5")
    assert every["min"] == {"price": "24.90", "stock": 1}
    assert every["max"]["stock"] == 4
    created = await db.fetchval("SELECT max(created_at) FROM products")
    assert datetime.fromisoformat(every["max"]["createdAt"]) == created
    assert data["lamps"]["aggregate"] == {"count": 1, "sum": {"stock": 4}}
    (category,) = data["categories"]["nodes"]
    assert category["products"]["aggregate"] == {"count": 2, "max": {"price": "399.00"}}


async def test_viewers_aggregate_only_what_they_see(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    owner = store["customers"][1]
    query = f"{{ orders {{ {ORDER_FIGURES} }} }}"
    mine = await client.as_viewer("customer", owner).data(query)
    assert_figures(
        mine["orders"]["aggregate"], expected_orders(await _orders(db, "customer_id = $1", owner))
    )
    anonymous = client.as_viewer(None)
    nothing = await anonymous.data(query)
    assert_figures(nothing["orders"]["aggregate"], expected_orders([]))
    catalogue = await anonymous.data("{ products { aggregate { count } } }")
    assert catalogue["products"]["aggregate"] == {"count": 2}


async def test_deleted_rows_only_for_staff_who_ask(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    query = "{ orders(includeDeleted: true) { aggregate { count } } }"
    everything = await client.data(query)
    assert everything["orders"]["aggregate"]["count"] == 14
    own = await client.as_viewer("customer", store["customers"][2]).data(query)
    assert own["orders"]["aggregate"]["count"] == len(
        await _orders(db, "customer_id = $1", store["customers"][2])
    )


async def test_fragments_and_aliases_read_every_measure_they_name(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    data = await client.data(
        """{ orders { aggregate { ...Sums most: max { ... on OrderMaxFields { total } } }
                      again: aggregate { n: count } } }
           fragment Sums on OrderAggregate { sum { total } count }"""
    )
    rows = await _orders(db)
    aggregate = data["orders"]["aggregate"]
    assert aggregate["sum"]["total"] == str(sum(r["total"] for r in rows))
    assert aggregate["count"] == len(rows)
    assert aggregate["most"]["total"] == str(max(r["total"] for r in rows))
    assert data["orders"]["again"] == {"n": len(rows)}


# --- random filters, compared with Python ---------------------------------------------------

_FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sets(st.sampled_from(STATUSES), max_size=3),
        "total_gte": st.sampled_from(
            [Decimal("0"), Decimal("24.90"), Decimal("100"), Decimal("500")]
        ),
        "total_lt": st.sampled_from([Decimal("30"), Decimal("75"), Decimal("1000")]),
        "placed_before_day": st.integers(0, 130),
        "customer": st.integers(0, 3),
    },
)


def _as_filter(spec: dict[str, Any], customers: list[UUID]) -> tuple[dict[str, Any], Any]:
    """The GraphQL filter for `spec`, and the same condition as a Python predicate."""
    graphql: dict[str, Any] = {}
    total: dict[str, str] = {}
    if "status" in spec:
        graphql["status"] = {"in": sorted(spec["status"])}
    if "total_gte" in spec:
        total["gte"] = str(spec["total_gte"])
    if "total_lt" in spec:
        total["lt"] = str(spec["total_lt"])
    if total:
        graphql["total"] = total
    before = None
    if "placed_before_day" in spec:
        before = factories.BASE_TIME + timedelta(days=spec["placed_before_day"])
        graphql["placedAt"] = {"lt": before.isoformat()}
    customer = customers[spec["customer"]] if "customer" in spec else None
    if customer is not None:
        graphql["customer"] = {"id": {"eq": to_global_id("Customer", customer)}}

    def holds(row: Any) -> bool:
        return (
            ("status" not in spec or row["status"] in spec["status"])
            and ("total_gte" not in spec or row["total"] >= spec["total_gte"])
            and ("total_lt" not in spec or row["total"] < spec["total_lt"])
            and (before is None or row["placed_at"] < before)
            and (customer is None or row["customer_id"] == customer)
        )

    return graphql, holds


@over_the_app(40)
@given(spec=_FILTERS, viewer=st.sampled_from([None, 0, 1, 3]))
async def test_random_filters_match_python(
    client: GraphQLClient,
    db: Database,
    store: dict[str, Any],
    spec: dict[str, Any],
    viewer: int | None,
) -> None:
    """Any filter, as staff or as a customer (who sees only their own orders), at the root
    and nested under the customers: the figures Python computes from the visible rows."""
    customers = store["customers"]
    graphql, holds = _as_filter(spec, customers)
    owner = None if viewer is None else customers[viewer]
    asking = client if owner is None else client.as_viewer("customer", owner)
    rows = [
        r for r in await _orders(db) if holds(r) and (owner is None or r["customer_id"] == owner)
    ]
    data = await asking.data(
        f"""query($f: OrderFilter) {{ orders(first: 1, filter: $f) {{ {ORDER_FIGURES} }}
             customers {{ nodes {{ id
               orders(first: 1, filter: $f) {{ {ORDER_FIGURES} }} }} }} }}""",
        {"f": graphql},
    )
    assert_figures(data["orders"]["aggregate"], expected_orders(rows))
    for node in data["customers"]["nodes"]:
        mine = [r for r in rows if to_global_id("Customer", r["customer_id"]) == node["id"]]
        assert_figures(node["orders"]["aggregate"], expected_orders(mine))
