"""The ASGI application: routes, the pool's lifetime, health endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gql.http import GraphQLEndpoint
from gql.schema import schema
from resolvers.context import PageLimits, RequestContext
from resolvers.viewer import Viewer
from server import graphiql, tokens
from server.middleware import RequestMiddleware
from server.settings import Settings
from sql import idempotency, migrate
from sql.pool import Database, QueryLogger, create_pool, ping

log = logging.getLogger("storefront.app")


PURGE_EVERY_SECONDS = 600.0


async def _purge_expired_keys(db: Database) -> None:
    """Deletes expired idempotency keys now and then; every worker does it, harmlessly."""
    while True:
        await asyncio.sleep(PURGE_EVERY_SECONDS)  # not at start-up: keys expire in hours
        try:
            purged = await idempotency.purge_expired(db)
            if purged:
                log.info("purged %d expired idempotency keys", purged)
        except Exception:  # the database may be away; try again next round
            log.warning("could not purge expired idempotency keys", exc_info=True)


def create_app(
    settings: Settings | None = None, *, query_logger: QueryLogger | None = None
) -> Starlette:
    """The app; `query_logger` sees every SQL statement the pool runs."""
    settings = settings or Settings()
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL is not set (storefront serve starts one when missing)")
    database_url = settings.database_url
    limits = PageLimits(default=settings.default_page_size, maximum=settings.max_page_size)
    pool: Database | None = None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await create_pool(
            database_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            statement_timeout_ms=settings.statement_timeout_ms,
            acquire_timeout=settings.pool_acquire_timeout,
            query_logger=query_logger,
        )
        app.state.pool = pool  # for tools and tests that need the app's own pool
        purger = asyncio.create_task(_purge_expired_keys(pool))
        try:
            yield
        finally:
            purger.cancel()
            await pool.close()

    def context(request: Request, viewer: Viewer) -> RequestContext:
        assert pool is not None
        return RequestContext(
            db=pool,
            page_limits=limits,
            request_id=request.state.request_id,
            viewer=viewer,
            idempotency_ttl_seconds=settings.idempotency_ttl_hours * 3600,
        )

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        assert pool is not None
        try:
            async with pool.acquire() as conn:
                await ping(conn)
                current = await migrate.status(conn)
        except Exception as error:  # any failure here means "not ready", whatever it was
            log.warning("not ready: %s", type(error).__name__)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        if current.pending:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "database": "ok",
                    "migrations": "pending",
                    "pending": [m.filename for m in current.pending],
                },
                status_code=503,
            )
        return JSONResponse({"status": "ready", "database": "ok", "migrations": "current"})

    endpoint = GraphQLEndpoint(
        schema._schema, context=context, tokens=tokens.verifier(settings), graphiql=graphiql.page
    )
    routes: list[Any] = [
        Route("/graphql", endpoint, methods=None),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *graphiql.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestMiddleware)
    return app
