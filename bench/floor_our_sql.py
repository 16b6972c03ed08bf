"""The floor's reads running the statements our server runs (its page, count and by-id
statements from the `sql` package) instead of the fewest: what GraphQL costs on its own.
Q6 runs the statement our `groupBy` runs (`sql.groups`, the same spec)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from bench.floor_requests import Q3_MAX_PRICE, Q3_MIN_PRICE, Q3_ORDER, Q3_PAGE, Variables
from engine.node_ids import to_global_id
from resolvers.cursors import encode_cursor, page_digest
from sql import categories, customers, orders, products
from sql.aggregates import Measure
from sql.builder import PageSpec
from sql.entity import SortKey, with_tiebreak
from sql.group_spec import Grouping, GroupSpec
from sql.groups import fetch_groups
from sql.pages import count_rows, fetch_page
from sql.pool import Database
from sql.rows import leavable

# As ours, they leave out the timestamps and texts the requests do not show.


def _unshown(row_type: Any, *shown: str) -> frozenset[str]:
    """What ours leaves out of these rows when the request shows `shown` (`sql.rows`)."""
    return leavable(row_type) - set(shown)


ORDERS_PAGE_SPEC = PageSpec(
    entity=orders.ORDERS,
    order=with_tiebreak([SortKey(orders.ORDERS.sortable["NUMBER"].expression, int)]),
    after=None,
    backward=False,
    limit=50,
    omit=_unshown(orders.OrderRow, "status"),
)


async def orders_page_our_sql(db: Database, variables: Variables) -> dict[str, Any]:
    page = (await fetch_page(db, ORDERS_PAGE_SPEC)).rows
    buyers = await customers.customers_by_ids(
        db,
        ids=list(dict.fromkeys(o.customer_id for o in page)),
        owner=None,
        omit=_unshown(customers.CustomerRow, "name", "email"),
    )
    by_order = await orders.lines_by_order_ids(
        db, ids=[o.id for o in page], owner=None, omit=_unshown(orders.OrderLineRow)
    )
    lines = [line for o in page for line in by_order.get(o.id, [])]
    items = await products.products_by_ids(
        db,
        ids=list(dict.fromkeys(line.product_id for line in lines)),
        omit=_unshown(products.ProductRow, "name"),
    )
    groups = await categories.categories_by_ids(
        db,
        ids=list(dict.fromkeys(p.category_id for p in items)),
        omit=_unshown(categories.CategoryRow, "name"),
    )
    buyer = {c.id: c for c in buyers}
    item = {p.id: p for p in items}
    group = {c.id: c for c in groups}

    def line_of(line: Any) -> dict[str, Any]:
        p = item[line.product_id]
        name = group[p.category_id].name
        return {
            "quantity": line.quantity,
            "unitPrice": str(line.unit_price),
            "product": {"name": p.name, "price": str(p.price), "category": {"name": name}},
        }

    edges = [
        {
            "node": {
                "number": o.number,
                "status": o.status,
                "total": str(o.total),
                "customer": {
                    "name": buyer[o.customer_id].name,
                    "email": buyer[o.customer_id].email,
                },
                "lines": [line_of(line) for line in by_order.get(o.id, [])],
            }
        }
        for o in page
    ]
    return {"orders": {"edges": edges}}


async def products_page_our_sql(db: Database, variables: Variables) -> dict[str, Any]:
    filter = {
        "price": {"gte": Q3_MIN_PRICE, "lte": Q3_MAX_PRICE},
        "category": {"name": {"eq": variables["category"]}},
    }
    spec = PageSpec(
        entity=products.PRODUCTS,
        order=Q3_ORDER,
        after=None,
        backward=False,
        limit=Q3_PAGE,
        filter=filter,
        omit=_unshown(products.ProductRow, "name"),
    )
    page = await fetch_page(db, spec)
    total = await count_rows(db, spec)
    end_cursor = None
    if page.rows:
        digest = page_digest(Q3_ORDER, scope="products", filter=filter, args=(False,))
        end_cursor = encode_cursor(page.sort_values[-1], digest=digest)
    return {
        "products": {
            "totalCount": total,
            "nodes": [
                {
                    "id": to_global_id("Product", p.id),
                    "name": p.name,
                    "price": str(p.price),
                    "stock": p.stock,
                }
                for p in page.rows
            ],
            "pageInfo": {"hasNextPage": page.more_ahead, "endCursor": end_cursor},
        }
    }


Q6_COUNT, Q6_SUM = Measure("count"), Measure("sum", "total")
Q6_SPEC = GroupSpec(
    set=PageSpec(
        entity=orders.ORDERS,
        order=with_tiebreak([orders.ORDERS.sortable["NUMBER"]]),
        after=None,
        backward=False,
        limit=20,
    ),
    keys=(Grouping("placed_at", "month"), Grouping("status")),
    measures=(Q6_COUNT, Q6_SUM),
    order=(),
    limit=100,
)


async def monthly_revenue(db: Database, variables: Variables) -> dict[str, Any]:
    """Q6 from the statement our groupBy runs (`sql.groups`, the same spec)."""
    page = await fetch_groups(db, Q6_SPEC)
    nodes = [
        {
            "key": {"placedAt": g.keys[0].astimezone(UTC).isoformat(), "status": g.keys[1]},
            "aggregate": {
                "count": g.figures[Q6_COUNT],
                "sum": {"total": str(g.figures[Q6_SUM])},
            },
        }
        for g in page.groups
    ]
    return {"orders": {"groupBy": {"nodes": nodes}}}
