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
`sql.products.PRODUCTS` and `sql.entity.with_tiebreak`, exactly as our connections build
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
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.floor_our_sql import monthly_revenue, orders_page_our_sql, products_page_our_sql  # noqa: E402
from bench.floor_reads import orders_page, product, products_page  # noqa: E402
from bench.floor_requests import Q1, Q2, Q3, Q4, Q5, Q6, Handler  # noqa: E402
from bench.floor_writes import place_order, update_product  # noqa: E402
from server.database import open_pool  # noqa: E402
from server.settings import Settings  # noqa: E402
from sql.pool import Database, QueryLogger  # noqa: E402

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
