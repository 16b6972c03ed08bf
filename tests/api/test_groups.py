"""`groupBy` equals the groups Python makes from the visible rows: keys (time buckets in the
named zone, across DST changes), figures, `having`, ordering, and pages walked forward and
backward with their cursors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.node_ids import to_global_id, uuid_of
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import over_the_app

STATUSES = ("PENDING", "PAID", "SHIPPED", "CANCELLED")  # the enum's order, as SQL sorts it
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
# Instants around DST changes: Paris (2024-03-31 01:00Z, 2024-10-27 01:00Z), New York
# (2024-03-10 07:00Z, 2024-11-03 06:00Z), Lord Howe (half-hour shift, 2024-04-06 15:00Z);
# and month, week and year ends.
INSTANTS = [
    datetime(2024, 3, 30, 23, 30, tzinfo=UTC),
    datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
    datetime(2024, 3, 31, 22, 30, tzinfo=UTC),
    datetime(2024, 10, 26, 22, 30, tzinfo=UTC),
    datetime(2024, 10, 27, 0, 59, tzinfo=UTC),
    datetime(2024, 10, 27, 23, 15, tzinfo=UTC),
    datetime(2024, 3, 10, 4, 30, tzinfo=UTC),
    datetime(2024, 3, 10, 7, 30, tzinfo=UTC),
    datetime(2024, 11, 3, 4, 30, tzinfo=UTC),
    datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
    datetime(2024, 4, 6, 14, 45, tzinfo=UTC),
    datetime(2024, 4, 6, 15, 15, tzinfo=UTC),
    datetime(2023, 12, 31, 23, 45, tzinfo=UTC),
    datetime(2024, 1, 1, 0, 15, tzinfo=UTC),
    datetime(2024, 6, 30, 18, 40, tzinfo=UTC),
    datetime(2024, 7, 1, 2, 0, tzinfo=UTC),
]
KEYS = {"STATUS": "status", "CUSTOMER": "customer_id", "PLACED_AT": "placed_at"}
KEYS_WITH_NULLS = {"PAID_AT": "paid_at", "SHIPPED_AT": "shipped_at"}


@pytest.fixture
async def store(db: Database) -> dict[str, Any]:
    """Orders at every instant above, of every status (so paid/shipped stamps are null for
    some), over three customers; one soft-deleted."""
    category = await factories.category(db)
    lamp = await factories.product(db, category, price="24.90", stock=100)
    desk = await factories.product(db, category, price="399.00", stock=100)
    customers = [await factories.customer(db) for _ in range(3)]
    orders = []
    for i, placed in enumerate(INSTANTS):
        lines = [(lamp, 1 + i % 3)] + ([(desk, 1)] if i % 5 == 0 else [])
        status = STATUSES[i % 4]
        orders.append(
            await factories.order(db, customers[i % 3], lines, status=status, placed_at=placed)
        )
    # Paid and shipped a little later than placed, so their buckets differ now and then.
    await db.execute(
        "UPDATE orders SET paid_at = paid_at + interval '3 hours', "
        "shipped_at = shipped_at + interval '2 days'"
    )
    await factories.soft_delete(db, "orders", orders[7])
    return {"customers": customers}


# --- the groups, made in Python --------------------------------------------------------------


def bucket(instant: datetime | None, unit: str, zone: ZoneInfo) -> datetime | None:
    """The first instant of `instant`'s bucket in `zone`, as PostgreSQL's date_trunc."""
    if instant is None:
        return None
    local = instant.astimezone(zone)
    day = local.date()
    if unit == "WEEK":
        day -= timedelta(days=day.weekday())
    elif unit == "MONTH":
        day = day.replace(day=1)
    elif unit == "YEAR":
        day = day.replace(month=1, day=1)
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def key_of(row: Any, by: Sequence[tuple[str, str | None]], zone: ZoneInfo) -> tuple[Any, ...]:
    out = []
    for field, unit in by:
        column = {**KEYS, **KEYS_WITH_NULLS}[field]
        out.append(row[column] if unit is None else bucket(row[column], unit, zone))
    return tuple(out)


def figures(rows: Sequence[Any]) -> dict[str, Any]:
    totals = [r["total"] for r in rows]
    paid = [r["paid_at"] for r in rows if r["paid_at"] is not None]
    return {
        "COUNT": len(rows),
        "SUM_TOTAL": sum(totals),
        "AVG_TOTAL": sum(totals) / len(totals),
        "MAX_TOTAL": max(totals),
        "MIN_PAID_AT": min(paid) if paid else None,
    }


def sortable(value: Any, descending: bool) -> tuple[Any, ...]:
    """A sort key for one value: None last ascending and first descending (as SQL)."""
    if isinstance(value, str) and value in STATUSES:
        value = STATUSES.index(value)
    if isinstance(value, UUID):
        value = value.int
    if isinstance(value, datetime):
        value = value.timestamp()
    if isinstance(value, Decimal):
        value = float(value)  # no two test sums are closer than a float can tell
    if descending:
        return (0,) if value is None else (1, -value)
    return (1,) if value is None else (0, value)


# --- the query -------------------------------------------------------------------------------

GROUPS = """query($by: [OrderGroupBy!]!, $zone: String!, $having: OrderAggregateFilter,
  $order: [OrderGroupOrderBy!], $filter: OrderFilter,
  $first: Int, $after: String, $last: Int, $before: String) {
  orders(filter: $filter) { groupBy(by: $by, timeZone: $zone, having: $having, orderBy: $order,
      first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { key { status customer { id } placedAt paidAt shippedAt }
            aggregate { count sum { total } avg { total } max { total } min { paidAt } } } } } }"""


def answered_key(
    node: dict[str, Any], by: Sequence[tuple[str, str | None]], zone: ZoneInfo
) -> tuple[Any, ...]:
    key = node["key"]
    out: list[Any] = []
    for field, _unit in by:
        if field == "STATUS":
            out.append(key["status"])
        elif field == "CUSTOMER":
            out.append(key["customer"]["id"])
        else:
            name = {"PLACED_AT": "placedAt", "PAID_AT": "paidAt", "SHIPPED_AT": "shippedAt"}[field]
            text = key[name]
            if text is None:
                out.append(None)
                continue
            shown = datetime.fromisoformat(text)
            assert shown.utcoffset() == shown.astimezone(zone).utcoffset(), (text, zone)
            out.append(shown)
    return tuple(out)


async def walk(
    client: GraphQLClient, variables: dict[str, Any], size: int, *, backward: bool
) -> tuple[list[dict[str, Any]], int]:
    """Every group, a page of `size` at a time (from the end when `backward`), in order."""
    nodes: list[dict[str, Any]] = []
    cursor = None
    total = -1
    for _ in range(40):
        page = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        data = await client.data(GROUPS, {**variables, **page})
        groups = data["orders"]["groupBy"]
        total = groups["totalCount"]
        info = groups["pageInfo"]
        nodes = groups["nodes"] + nodes if backward else nodes + groups["nodes"]
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return nodes, total
        cursor = info["startCursor"] if backward else info["endCursor"]
    raise AssertionError("pages never ended")


_BY = st.lists(
    st.one_of(
        st.sampled_from([("STATUS", None), ("CUSTOMER", None)]),
        st.tuples(
            st.sampled_from(["PLACED_AT", "PAID_AT", "SHIPPED_AT"]),
            st.sampled_from(["DAY", "WEEK", "MONTH", "YEAR"]),
        ),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda k: k[0],
)
_ORDER = st.lists(
    st.tuples(
        st.sampled_from(["COUNT", "SUM_TOTAL", "AVG_TOTAL", "MAX_TOTAL", "MIN_PAID_AT", "KEY"]),
        st.booleans(),
    ),
    max_size=2,
    unique_by=lambda o: o[0],
)


@over_the_app(30)
@given(
    by=_BY,
    zone=st.sampled_from(ZONES),
    order=_ORDER,
    least=st.sampled_from([None, 1, 2]),
    statuses=st.sampled_from([None, ["PAID", "SHIPPED"], ["CANCELLED"]]),
    size=st.integers(1, 4),
    viewer=st.sampled_from([None, 0]),
)
async def test_groups_match_python(
    client: GraphQLClient,
    db: Database,
    store: dict[str, Any],
    by: list[tuple[str, str | None]],
    zone: str,
    order: list[tuple[str, bool]],
    least: int | None,
    statuses: list[str] | None,
    size: int,
    viewer: int | None,
) -> None:
    tz = ZoneInfo(zone)
    owner = None if viewer is None else store["customers"][viewer]
    asking = client if owner is None else client.as_viewer("customer", owner)
    rows = [
        r
        for r in await db.fetch("SELECT * FROM orders WHERE deleted_at IS NULL")
        if (statuses is None or r["status"] in statuses)
        and (owner is None or r["customer_id"] == owner)
    ]
    grouped: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[key_of(row, by, tz)].append(row)
    made = {k: figures(v) for k, v in grouped.items() if least is None or len(v) >= least}
    steps = [(by[0][0] if name == "KEY" else name, desc) for name, desc in order]
    steps += [(f, False) for f, _ in by if f not in {s for s, _ in steps}]
    positions = {f: i for i, (f, _) in enumerate(by)}

    def sort_key(item: tuple[tuple[Any, ...], dict[str, Any]]) -> tuple[Any, ...]:
        key, figs = item
        return tuple(
            sortable(key[positions[name]] if name in positions else figs[name], desc)
            for name, desc in steps
        )

    expected = sorted(made.items(), key=sort_key)

    variables = {
        "by": [{"field": f, "bucket": u} for f, u in by],
        "zone": zone,
        "having": None if least is None else {"count": {"gte": least}},
        "order": [
            {"field": name, "direction": "DESC" if desc else "ASC"}
            for name, desc in steps[: len(order)]
        ],
        "filter": None if statuses is None else {"status": {"in": statuses}},
    }
    for backward in (False, True):
        nodes, total = await walk(asking, variables, size, backward=backward)
        assert total == len(expected)
        assert len(nodes) == len(expected)
        for node, (key, figs) in zip(nodes, expected, strict=True):
            shown = tuple(
                to_global_id("Customer", k) if f == "CUSTOMER" else k
                for (f, _), k in zip(by, key, strict=True)
            )
            assert answered_key(node, by, tz) == shown
            aggregate = node["aggregate"]
            assert aggregate["count"] == figs["COUNT"]
            assert Decimal(aggregate["sum"]["total"]) == figs["SUM_TOTAL"]
            assert abs(Decimal(aggregate["avg"]["total"]) - figs["AVG_TOTAL"]) < Decimal("1e-12")
            assert Decimal(aggregate["max"]["total"]) == figs["MAX_TOTAL"]
            paid = aggregate["min"]["paidAt"]
            assert (paid and datetime.fromisoformat(paid)) == figs["MIN_PAID_AT"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ('by: [{field: STATUS}], timeZone: "Mars/Olympus"', "is not a time zone"),
        ('by: [{field: STATUS}], timeZone: ""', "is not a time zone"),
        ("by: [{field: PLACED_AT}]", "in buckets"),
        ("by: [{field: STATUS, bucket: DAY}]", "without a bucket"),
        ("by: []", "at least one key"),
        ("by: [{field: STATUS}, {field: STATUS}]", "more than once"),
        ("by: [{field: STATUS}], orderBy: [{field: CUSTOMER}]", "not made by customer"),
        ("by: [{field: STATUS}], first: 101", "at most 100"),
        ('by: [{field: STATUS}], after: "bm90IGEgY3Vyc29y"', "not a valid cursor"),
    ],
)
async def test_bad_arguments_are_bad_user_input(
    client: GraphQLClient, store: dict[str, Any], arguments: str, message: str
) -> None:
    body = await client.query(f"{{ orders {{ groupBy({arguments}) {{ totalCount }} }} }}")
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


async def test_a_cursor_is_bound_to_its_grouping(
    client: GraphQLClient, store: dict[str, Any]
) -> None:
    page = "{ orders { groupBy(by: [{field: STATUS}], first: 1) { pageInfo { endCursor } } } }"
    cursor = (await client.data(page))["orders"]["groupBy"]["pageInfo"]["endCursor"]
    for other in (
        "by: [{field: STATUS}], orderBy: [{field: COUNT}]",
        'by: [{field: STATUS}], timeZone: "Europe/Paris"',
        "by: [{field: STATUS}], having: {count: {gte: 1}}",
    ):
        body = await client.query(
            f'{{ orders {{ groupBy({other}, first: 1, after: "{cursor}") {{ totalCount }} }} }}'
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "belongs to another" in body["errors"][0]["message"]


async def test_viewers_group_only_what_they_see(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    query = """{ orders { groupBy(by: [{field: CUSTOMER}]) { nodes {
                   key { customer { id } } aggregate { count } } } }
                 products { groupBy(by: [{field: CATEGORY}]) { nodes {
                   key { category { name } } aggregate { count sum { stock } } } } } }"""
    owner = store["customers"][1]
    mine = await client.as_viewer("customer", owner).data(query)
    count = await db.fetchval(
        "SELECT count(*) FROM orders WHERE deleted_at IS NULL AND customer_id = $1", owner
    )
    assert mine["orders"]["groupBy"]["nodes"] == [
        {
            "key": {"customer": {"id": to_global_id("Customer", owner)}},
            "aggregate": {"count": count},
        }
    ]
    anonymous = await client.as_viewer(None).data(query)
    assert anonymous["orders"]["groupBy"]["nodes"] == []
    (category,) = anonymous["products"]["groupBy"]["nodes"]
    stock = await db.fetchval("SELECT sum(stock) FROM products")
    assert category["aggregate"] == {"count": 2, "sum": {"stock": stock}}
    assert category["key"]["category"]["name"].startswith("Category")


async def test_nested_groups_per_customer(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    data = await client.data(
        """{ customers { nodes { id orders { groupBy(by: [{field: STATUS}],
               orderBy: [{field: COUNT, direction: DESC}], first: 2) {
             totalCount nodes { key { status } aggregate { count } } } } } } }"""
    )
    for node in data["customers"]["nodes"]:
        rows = await db.fetch(
            "SELECT status, count(*) AS n FROM orders o JOIN customers c ON c.id = o.customer_id"
            " WHERE o.deleted_at IS NULL GROUP BY c.id, status HAVING $1 = c.id::text"
            " ORDER BY n DESC, status LIMIT 2",
            str(_uuid(node["id"])),
        )
        groups = node["orders"]["groupBy"]
        assert [(g["key"]["status"], g["aggregate"]["count"]) for g in groups["nodes"]] == [
            (r["status"], r["n"]) for r in rows
        ]
        assert groups["totalCount"] == await db.fetchval(
            "SELECT count(DISTINCT status) FROM orders"
            " WHERE deleted_at IS NULL AND customer_id = $1",
            _uuid(node["id"]),
        )


def _uuid(global_id: str) -> UUID:
    found = uuid_of(global_id, type_name="Customer")
    assert found is not None
    return found


async def test_each_group_shows_its_rows(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    """A group's rows are the connection's rows that share its keys, in the connection's
    ordering (or their own), paged; root and nested, as staff and as a customer."""
    query = """{ orders(filter: {status: {neq: CANCELLED}}, orderBy: [{field: TOTAL}]) {
        groupBy(by: [{field: STATUS}, {field: PLACED_AT, bucket: YEAR}],
                timeZone: "Asia/Kolkata") {
          nodes { key { status placedAt } aggregate { count }
                  orders(first: 2) { totalCount nodes { number total }
                                     pageInfo { hasNextPage } } } } } }"""
    zone = ZoneInfo("Asia/Kolkata")
    for owner in (None, store["customers"][0]):
        asking = client if owner is None else client.as_viewer("customer", owner)
        data = await asking.data(query)
        rows = [
            r
            for r in await db.fetch(
                "SELECT * FROM orders WHERE deleted_at IS NULL AND status <> 'CANCELLED'"
                " ORDER BY total, id"
            )
            if owner is None or r["customer_id"] == owner
        ]
        groups = data["orders"]["groupBy"]["nodes"]
        assert sum(g["aggregate"]["count"] for g in groups) == len(rows)
        for group in groups:
            year = datetime.fromisoformat(group["key"]["placedAt"])
            mine = [
                r
                for r in rows
                if r["status"] == group["key"]["status"]
                and bucket(r["placed_at"], "YEAR", zone) == year
            ]
            shown = group["orders"]
            assert shown["totalCount"] == len(mine) == group["aggregate"]["count"]
            assert [(n["number"], Decimal(n["total"])) for n in shown["nodes"]] == [
                (r["number"], r["total"]) for r in mine[:2]
            ]
            assert shown["pageInfo"]["hasNextPage"] == (len(mine) > 2)


async def test_rows_of_nested_groups_stay_with_their_parent(
    client: GraphQLClient, db: Database, store: dict[str, Any]
) -> None:
    data = await client.data(
        """{ customers { nodes { id orders { groupBy(by: [{field: STATUS}], first: 4) {
             nodes { key { status } orders(first: 10, orderBy: [{field: NUMBER, direction: DESC}]) {
               nodes { number customer { id } } } } } } } } }"""
    )
    for customer in data["customers"]["nodes"]:
        for group in customer["orders"]["groupBy"]["nodes"]:
            numbers = [n["number"] for n in group["orders"]["nodes"]]
            assert {n["customer"]["id"] for n in group["orders"]["nodes"]} == {customer["id"]}
            expected = await db.fetch(
                "SELECT number FROM orders WHERE deleted_at IS NULL AND customer_id = $1"
                " AND status = $2 ORDER BY number DESC",
                _uuid(customer["id"]),
                group["key"]["status"],
            )
            assert numbers == [r["number"] for r in expected]
