"""The ASGI application: routes, the pool's lifetime, health endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gql.admission import Admission
from gql.http import GraphQLEndpoint
from gql.limits import QueryLimits
from gql.persisted import ManifestError, Mode, PersistedOperations, load_manifest
from gql.schema import schema
from resolvers.context import PageLimits, RequestContext
from resolvers.viewer import Viewer
from server import graphiql, tokens
from server.database import open_pool, open_replicas
from server.middleware import RequestMiddleware
from server.settings import Environment, Settings
from server.shutdown import Shutdown
from sql import idempotency, migrate
from sql.pool import Database, QueryLogger, ping
from sql.replicas import ReplicaReads, Replicas

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


@functools.cache
def _settle_collector() -> None:
    """Once per process, when the app has started: what exists now (the schema, the modules,
    the pool) lives as long as the process, so the cyclic garbage collector stops looking at
    it, and it runs less often: a large response makes thousands of short-lived objects,
    which at the default threshold meant several collections per request."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


GC_THRESHOLD = 20_000  # allocations between young-generation collections (default 700)


def persisted_operations(settings: Settings) -> PersistedOperations:
    """The persisted-operation store; a manifest that cannot be used stops the start-up
    (`ManifestError`), so a trusted-only server never runs without its list."""
    mode = Mode(settings.persisted_queries.value)
    path = settings.persisted_queries_manifest
    if mode is Mode.TRUSTED_ONLY and path is None:
        raise ManifestError(
            "STOREFRONT_PERSISTED_QUERIES=trusted-only needs STOREFRONT_PERSISTED_QUERIES_MANIFEST "
            "(the file `storefront persist` writes)"
        )
    manifest = load_manifest(path) if path is not None and mode is not Mode.OFF else None
    return PersistedOperations(mode=mode, manifest=manifest)


def create_app(
    settings: Settings | None = None, *, query_logger: QueryLogger | None = None
) -> Starlette:
    """The app; `query_logger` sees every SQL statement the pool runs."""
    settings = settings or Settings()
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL is not set (storefront serve starts one when missing)")
    database_url = settings.database_url
    limits = PageLimits(default=settings.default_page_size, maximum=settings.max_page_size)
    persisted = persisted_operations(settings)
    pool: Database | None = None
    replicas: Replicas | None = None
    shutdown = Shutdown(delay=settings.shutdown_delay)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool, replicas
        pool = await open_pool(settings, database_url, query_logger=query_logger)
        app.state.pool = pool  # for tools and tests that need the app's own pool
        replicas = await open_replicas(settings, pool, query_logger=query_logger)
        app.state.replicas = replicas
        tasks = [asyncio.create_task(_purge_expired_keys(pool))]
        if replicas is not None:
            await replicas.measure()  # a healthy replica serves the first request
            tasks.append(asyncio.create_task(replicas.watch()))
        _settle_collector()
        shutdown.install()
        try:
            yield
        finally:
            shutdown.uninstall()
            for task in tasks:
                task.cancel()
            for replica in replicas.members if replicas is not None else ():
                await replica.db.close()
            await pool.close()

    def context(
        request: Request, viewer: Viewer, *, writes: bool = False, read_after: int = 0
    ) -> RequestContext:
        assert pool is not None
        reads = pool if writes or replicas is None else ReplicaReads(replicas, after=read_after)
        return RequestContext(
            db=reads,
            page_limits=limits,
            request_id=request.state.request_id,
            viewer=viewer,
            idempotency_ttl_seconds=settings.idempotency_ttl_hours * 3600,
        )

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    migrations = migrate.load_migrations()  # read and hashed once, not on every probe

    async def readyz(_request: Request) -> JSONResponse:
        assert pool is not None
        if shutdown.stopping:  # from the stop signal on, while requests still drain
            return JSONResponse({"status": "unavailable", "shutdown": "in progress"}, 503)
        try:
            # A database that accepts connections but never answers must not hang the probe.
            async with asyncio.timeout(2 * settings.pool_acquire_timeout), pool.acquire() as conn:
                await ping(conn)
                current = await migrate.status(conn, migrations=migrations)
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
        schema._schema,
        context=context,
        tokens=tokens.verifier(settings),
        graphiql=graphiql.page,
        admission=Admission(
            max_concurrent=settings.max_concurrent_requests, deadline=settings.request_timeout
        ),
        persisted=persisted,
        limits=QueryLimits(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
            default_page=settings.default_page_size,
            max_page=settings.max_page_size,
        ),
        introspection=settings.env is Environment.DEVELOPMENT,
        compiled=settings.compiled_reads,
    )
    routes: list[Any] = [
        Route("/graphql", endpoint, methods=None),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *graphiql.routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.graphql = endpoint  # for tools and tests that look at the handler itself
    app.add_middleware(RequestMiddleware)
    return app
