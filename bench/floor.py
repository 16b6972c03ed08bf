"""The floor: the benchmark's canonical requests answered with no GraphQL at all.

    DATABASE_URL=... STOREFRONT_JWT_SECRET=... STOREFRONT_PORT=8001 \\
        .venv/bin/python -m bench.floor

A Starlette app under uvicorn (uvloop, the server's HTTP protocol, one process, no access
log: as `storefront serve` runs) that answers POST /graphql for exactly the canonical
request texts below, chosen by a dict lookup on the query text. It checks the staff bearer
token with PyJWT (HS256, the same secret, `exp` required, `role` = staff), reads the
variables, runs the SQL and writes the same `data` with orjson, in the field order and
value formats our server uses: global ids as base64 of "Type:uuid", decimals as strings,
times as `datetime.isoformat()`.

Q1 is one hand-written statement. Q2 and Q3 run the statements our server runs (its page,
count and by-id statements, through the `sql` package), and the writes (Q4, Q5) the same
transactions as our resolvers (`sql.transactions`, `sql.products`, `sql.orders`): comparing
the two then measures what GraphQL and the resolvers add, the issue's question. Q6 runs the
statement our `groupBy` runs (`sql.groups`, the same spec). With
FLOOR_SQL=minimum, Q2 and Q3 are one hand-written statement each instead (a join with
every line; a window count), the floor for the SQL as well.

Q3's `endCursor` is built by `resolvers.cursors`, with the ordering from
`sql.products.PRODUCTS` and `sql.builder.with_tiebreak`, exactly as our connections build
it: a cursor is opaque, and only that code defines its bytes. The pool comes from
`server.database.open_pool` with the server's settings (size, timeouts), so both sides get the
same connections.

`create_app(url, query_logger=...)` takes asyncpg's query logger, so the harness can run
the floor in process and count the statements each request runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.node_ids import to_global_id, uuid_of  # noqa: E402
from resolvers.cursors import encode_cursor, page_digest  # noqa: E402
from server.database import open_pool  # noqa: E402
from server.settings import Settings  # noqa: E402
from sql import categories, customers, orders, products  # noqa: E402
from sql.aggregates import Measure  # noqa: E402
from sql.builder import PageSpec, SortKey, with_tiebreak  # noqa: E402
from sql.groups import Grouping, GroupSpec, fetch_groups  # noqa: E402
from sql.pages import count_rows, fetch_page  # noqa: E402
from sql.pool import Database, QueryLogger  # noqa: E402
from sql.rows import leavable  # noqa: E402
from sql.transactions import transaction  # noqa: E402

# -- the canonical requests ----------------------------------------------------------------

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

# -- SQL -----------------------------------------------------------------------------------

PRODUCT = """
SELECT id, sku, name, price, stock, updated_at FROM products
WHERE id = $1 AND deleted_at IS NULL
"""

ORDERS_PAGE = """
SELECT o.id, o.number, o.status, o.total, c.name, c.email,
       l.quantity, l.unit_price, p.name, p.price, g.name
FROM (SELECT id, number, status, total, customer_id FROM orders
      WHERE deleted_at IS NULL ORDER BY number, id LIMIT $1) AS o
JOIN customers AS c ON c.id = o.customer_id
LEFT JOIN order_lines AS l ON l.order_id = o.id
LEFT JOIN products AS p ON p.id = l.product_id
LEFT JOIN categories AS g ON g.id = p.category_id
ORDER BY o.number, o.id, l.position
"""

PRODUCTS_PAGE = """
SELECT p.id, p.name, p.price, p.stock, count(*) OVER () AS total
FROM products AS p JOIN categories AS c ON c.id = p.category_id
WHERE p.deleted_at IS NULL AND c.deleted_at IS NULL AND c.name = $1
  AND p.price >= $2 AND p.price <= $3
ORDER BY p.price DESC, p.id DESC LIMIT $4
"""


class Answer(Exception):
    """Leaves a transaction (rolling it back) with the data to answer."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__("answer")
        self.data = data


# -- the handlers --------------------------------------------------------------------------

Variables = dict[str, Any]
Handler = Callable[[Database, Variables], Awaitable[dict[str, Any]]]


async def product(db: Database, variables: Variables) -> dict[str, Any]:
    id = uuid_of(str(variables.get("id")), type_name="Product")
    row = None if id is None else await db.fetchrow(PRODUCT, id)
    if row is None:
        return {"product": None}
    return {
        "product": {
            "id": to_global_id("Product", row[0]),
            "sku": row[1],
            "name": row[2],
            "price": str(row[3]),
            "stock": row[4],
            "updatedAt": row[5].isoformat(),
        }
    }


async def orders_page(db: Database, variables: Variables) -> dict[str, Any]:
    edges: list[dict[str, Any]] = []
    last: UUID | None = None
    lines: list[dict[str, Any]] = []
    for row in await db.fetch(ORDERS_PAGE, 50):
        if row[0] != last:
            last, lines = row[0], []
            node = {
                "number": row[1],
                "status": row[2],
                "total": str(row[3]),
                "customer": {"name": row[4], "email": row[5]},
                "lines": lines,
            }
            edges.append({"node": node})
        if row[6] is not None:
            lines.append(
                {
                    "quantity": row[6],
                    "unitPrice": str(row[7]),
                    "product": {
                        "name": row[8],
                        "price": str(row[9]),
                        "category": {"name": row[10]},
                    },
                }
            )
    return {"orders": {"edges": edges}}


async def products_page(db: Database, variables: Variables) -> dict[str, Any]:
    category = variables["category"]
    rows = await db.fetch(PRODUCTS_PAGE, category, Q3_MIN_PRICE, Q3_MAX_PRICE, Q3_PAGE + 1)
    kept = rows[:Q3_PAGE]
    end_cursor = None
    if kept:
        # What our connection's cursor names: the ordering, the filter as it was asked
        # (snake_case keys, decimals as parsed) and include_deleted (False).
        filter = {
            "price": {"gte": Q3_MIN_PRICE, "lte": Q3_MAX_PRICE},
            "category": {"name": {"eq": category}},
        }
        digest = page_digest(Q3_ORDER, scope="products", filter=filter, args=(False,))
        end_cursor = encode_cursor((kept[-1][2], kept[-1][0]), digest=digest)
    return {
        "products": {
            "totalCount": rows[0][4] if rows else 0,
            "nodes": [
                {
                    "id": to_global_id("Product", row[0]),
                    "name": row[1],
                    "price": str(row[2]),
                    "stock": row[3],
                }
                for row in kept
            ],
            "pageInfo": {"hasNextPage": len(rows) > Q3_PAGE, "endCursor": end_cursor},
        }
    }


async def update_product(db: Database, variables: Variables) -> dict[str, Any]:
    """As resolvers.product_mutations.update_product writes it: one transaction with the
    rev-checked patch, and on a miss the row re-read inside it to say why."""
    id = uuid_of(variables["id"], type_name="Product")
    rev = variables["rev"]
    if id is None:
        return {"updateProduct": {"__typename": "NotFoundError"}}
    try:
        async with transaction(db) as conn:
            row = await products.PRODUCT.patch(
                conn, id=id, rev=rev, changes={"price": Decimal(variables["price"])}
            )
            if row is None:
                found = await products.products_by_ids(conn, ids=[id])
                current = found[0] if found else None
                if current is None or current.deleted_at is not None:
                    raise Answer({"updateProduct": {"__typename": "NotFoundError"}})
                conflict = {"__typename": "ConflictError", "expectedRev": rev}
                raise Answer({"updateProduct": {**conflict, "currentRev": current.rev}})
    except Answer as answer:
        return answer.data
    return {
        "updateProduct": {
            "__typename": "UpdateProductSuccess",
            "product": {
                "id": to_global_id("Product", row.id),
                "rev": row.rev,
                "price": str(row.price),
                "updatedAt": row.updated_at.isoformat(),
            },
        }
    }


async def place_order(db: Database, variables: Variables) -> dict[str, Any]:
    """As resolvers.orders.place_order writes it (no idempotency key): the customer and the
    products locked, stock taken, the order and its lines inserted, in one transaction."""
    input = variables["input"]
    customer = uuid_of(input["customerId"], type_name="Customer")
    lines = input["lines"]
    ids = [uuid_of(line["productId"], type_name="Product") for line in lines]
    not_found = Answer({"placeOrder": {"__typename": "NotFoundError"}})
    try:
        async with transaction(db) as conn:
            if customer is None or not await orders.lock_live_customer(conn, id=customer):
                raise not_found
            wanted: dict[UUID, int] = {}
            for id, line in zip(ids, lines, strict=True):
                if id is not None:
                    wanted[id] = wanted.get(id, 0) + line["quantity"]
            locked = {row.id: row for row in await orders.lock_products(conn, ids=sorted(wanted))}
            if any(id is None or id not in locked or locked[id].deleted_at for id in ids):
                raise not_found
            changed = await orders.shift_stock(conn, deltas={id: -q for id, q in wanted.items()})
            if len(changed) < len(wanted):
                raise Answer({"placeOrder": {"__typename": "InsufficientStockError"}})
            order, order_lines = await orders.insert_order(
                conn, customer_id=customer, lines=list(wanted.items())
            )
    except Answer as answer:
        return answer.data
    return {
        "placeOrder": {
            "__typename": "PlaceOrderSuccess",
            "order": {
                "id": to_global_id("Order", order.id),
                "number": order.number,
                "total": str(order.total),
                "lines": [
                    {"quantity": line.quantity, "unitPrice": str(line.unit_price)}
                    for line in order_lines
                ],
            },
        }
    }


# The reads again, running the statements our server runs (its page, count and by-id
# statements from the `sql` package) instead of the fewest: what GraphQL costs on its own.
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


HANDLERS: dict[str, Handler] = {
    Q1: product,
    Q2: orders_page_our_sql,
    Q3: products_page_our_sql,
    Q4: update_product,
    Q5: place_order,
    Q6: monthly_revenue,
}
MINIMUM_SQL: dict[str, Handler] = {**HANDLERS, Q2: orders_page, Q3: products_page}
"""`FLOOR_SQL=minimum`: Q2 and Q3 in one hand-written statement each."""

# -- the app -------------------------------------------------------------------------------

JSON = "application/json"


def _refusal(status: int, message: str) -> Response:
    return Response(orjson.dumps({"errors": [{"message": message}]}), status, media_type=JSON)


def staff(authorization: str | None, secret: str) -> bool:
    """Whether the header carries a valid staff token of ours."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=["HS256"], options={"require": ["exp"]}, leeway=30
        )
    except jwt.InvalidTokenError:
        return False
    return claims.get("role") == "staff"


def create_app(
    url: str,
    *,
    secret: str | None = None,
    query_logger: QueryLogger | None = None,
    sql: str | None = None,
) -> Starlette:
    """The floor; `sql` (or FLOOR_SQL) `minimum` answers Q2 and Q3 from one statement
    each, anything else from the statements our server runs."""
    sql = sql or os.environ.get("FLOOR_SQL", "ours")
    handlers = MINIMUM_SQL if sql == "minimum" else HANDLERS
    settings = Settings(database_url=url)  # pool size and timeouts, as the server reads them
    secret = secret or settings.jwt_secret
    if not secret:
        raise SystemExit("the floor needs STOREFRONT_JWT_SECRET")
    pool: Database | None = None

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await open_pool(
            settings, url, application_name="storefront-floor", query_logger=query_logger
        )
        try:
            yield
        finally:
            await pool.close()

    async def graphql(request: Request) -> Response:
        assert pool is not None
        if not staff(request.headers.get("authorization"), secret):
            return _refusal(401, "a staff bearer token is required")
        body = orjson.loads(await request.body())
        handler = handlers.get(body.get("query"))
        if handler is None:
            return _refusal(400, "not one of the canonical requests")
        data = await handler(pool, body.get("variables") or {})
        return Response(orjson.dumps({"data": data}), media_type=JSON)

    async def readyz(_request: Request) -> Response:
        assert pool is not None
        await pool.fetchval("SELECT 1")
        return Response(b'{"status":"ready"}', media_type=JSON)

    routes = [Route("/graphql", graphql, methods=["POST"]), Route("/readyz", readyz)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    import uvicorn

    from server.http_protocol import HttpProtocol

    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("the floor needs DATABASE_URL")
    uvicorn.run(
        create_app(url),
        host="127.0.0.1",
        port=int(os.environ.get("STOREFRONT_PORT", "8001")),
        loop="uvloop",
        http=HttpProtocol,
        workers=1,
        access_log=False,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=30,
    )


if __name__ == "__main__":
    main()
