"""The ASGI application: routes, the pool's lifetime, health endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from engine.admission import Admission
from engine.http import GraphQLEndpoint
from engine.http_streams import HttpStreams
from engine.limits import QueryLimits
from engine.persisted import Mode, PersistedOperations
from engine.persisted_manifest import ManifestError, load_manifest, manifest_names
from engine.sse_single import SingleConnections
from engine.stream_channel import StreamLimits
from engine.stream_routes import GraphQLPosts, GraphQLRoute, StreamRoute
from engine.stream_transport import StreamServices
from engine.ws import WebSocketServer, WsLimits
from gql.schema import schema
from gql.subscriptions import Hub
from resolvers.context import PageLimits, RequestContext
from resolvers.event_streams import EventStreams
from resolvers.viewer import Viewer
from server import graphiql, graphiql_examples, metrics_share, tokens
from server.database import direct_database_url, open_pool, open_replicas
from server.metrics import Metrics, OperationNames
from server.metrics_listener import serve_metrics
from server.middleware import App, RequestMiddleware
from server.observer import Observer
from server.settings import Environment, MetricsAccess, Settings
from server.shutdown import Shutdown
from server.tracing import Tracing, provider_from_environment, put_trace_ids_on_log_records
from sql import event_streams, feed, idempotency, migrate
from sql.feed_listener import FeedListener
from sql.pool import Database, QueryLogger, ping
from sql.replicas import ReplicaReads, Replicas

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

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


PRUNE_EVENTS_EVERY_SECONDS = 60.0
RESERVATION_SECONDS = 600.0


async def _prune_events(db: Database, *, retention_hours: float) -> None:
    """Deletes change events older than the retention window, a batch at a time; one
    process at a time does it (the others find the lock taken and skip the round)."""
    while True:
        await asyncio.sleep(PRUNE_EVENTS_EVERY_SECONDS)
        try:
            pruned = 1
            while pruned:  # batch after batch, each a short transaction of its own
                pruned = await feed.prune(db, older_than_seconds=retention_hours * 3600)
            # Reservations never connected, or whose token expired, and those a process
            # that ended without letting go of them still holds.
            await event_streams.prune(db, older_than_seconds=RESERVATION_SECONDS)
        except Exception:  # the database may be away; try again next round
            log.warning("could not prune change events", exc_info=True)


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


_background: set[asyncio.Task[None]] = set()


def _later(work: Any) -> None:
    """Runs a coroutine on the loop, keeping a reference until it ends."""
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


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
    settings: Settings | None = None,
    *,
    query_logger: QueryLogger | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """The app; `query_logger` sees every SQL statement the pool runs. Traces go to
    `tracer_provider`, or where the `OTEL_*` environment says (`server.tracing`)."""
    settings = settings or Settings()
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL is not set (storefront serve starts one when missing)")
    database_url = settings.database_url
    limits = PageLimits(default=settings.default_page_size, maximum=settings.max_page_size)
    persisted = persisted_operations(settings)
    pool: Database | None = None
    replicas: Replicas | None = None
    shutdown = Shutdown(delay=settings.shutdown_delay)
    metrics = _metrics(settings)
    observer = _observer(settings, metrics, tracer_provider)
    shared = None if metrics is None else metrics_share.SharedFigures(metrics, settings.metrics_dir)

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
        publisher = None
        if metrics is not None and shared is not None:
            metrics.database, metrics.admission = pool, endpoint.admission
            metrics.follow(hub)
            publisher = asyncio.create_task(shared.keep_publishing())
        scrapes = None
        if shared is not None and settings.metrics is MetricsAccess.PORT:
            scrapes = await serve_metrics(settings.metrics_bind, shared.exposition)
        tasks.append(
            asyncio.create_task(_prune_events(pool, retention_hours=settings.event_retention_hours))
        )
        listener = FeedListener(
            direct_database_url(settings, database_url), hub.publish, started=hub.window.start
        )
        listener.listen(event_streams.CHANNEL, single.heard)
        app.state.feed = listener  # for tools and tests that follow the feed
        await listener.start()
        _settle_collector()
        shutdown.on_stop.append(lambda: _later(sockets.shutdown()))
        shutdown.on_stop.append(lambda: _later(streams.shutdown()))
        shutdown.install()
        try:
            yield
        finally:
            shutdown.uninstall()
            if scrapes is not None:
                scrapes.close()
            await sockets.shutdown()
            await streams.shutdown()
            await single.release_all()
            await listener.stop()
            for task in tasks:
                task.cancel()
            if publisher is not None and shared is not None:
                publisher.cancel()
                shared.publish()  # what this worker counted stays in the sum
            for replica in replicas.members if replicas is not None else ():
                await replica.db.close()
            await pool.close()
            if observer is not None and observer.tracing is not None:
                observer.tracing.flush()  # the last spans leave before the process does

    def context_for(
        request_id: str, viewer: Viewer, *, writes: bool = False, read_after: int = 0
    ) -> RequestContext:
        """A context: `writes` for a mutation (the primary serves all of it); `read_after`,
        a WAL position its reads must include (0: any replica will do)."""
        assert pool is not None
        reads = pool if writes or replicas is None else ReplicaReads(replicas, after=read_after)
        return RequestContext(
            db=reads,
            page_limits=limits,
            request_id=request_id,
            viewer=viewer,
            idempotency_ttl_seconds=settings.idempotency_ttl_hours * 3600,
        )

    def context(
        request: Request, viewer: Viewer, *, writes: bool = False, read_after: int = 0
    ) -> RequestContext:
        request_id = request.scope["state"]["request_id"]  # set by RequestMiddleware
        return context_for(request_id, viewer, writes=writes, read_after=read_after)

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

    async def graphiql_page(request: Request) -> Response:
        assert pool is not None
        setup = await graphiql_examples.page_setup(settings, pool)
        return await graphiql.page(request, setup=setup)

    endpoint = GraphQLEndpoint(
        schema._schema,
        context=context,
        tokens=tokens.verifier(settings),
        graphiql=graphiql_page,
        admission=Admission(
            max_concurrent=settings.max_concurrent_requests, deadline=settings.request_timeout
        ),
        persisted=persisted,
        limits=QueryLimits(
            max_document_chars=settings.max_document_chars,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
            max_directives=settings.max_directives,
            max_selections=settings.max_selections,
            max_fields=settings.max_fields,
            max_operations=settings.max_operations,
            max_errors=settings.max_errors,
            default_page=settings.default_page_size,
            max_page=settings.max_page_size,
        ),
        introspection=settings.env is Environment.DEVELOPMENT,
        compiled=settings.compiled,
    )
    hub = Hub(endpoint, context_for)
    services = StreamServices(
        endpoint, hub, tokens=endpoint.tokens, admission=endpoint.admission, context=context_for
    )
    sockets = WebSocketServer(
        services,
        limits=WsLimits(
            max_connections=settings.ws_max_connections,
            max_subscriptions=settings.ws_max_subscriptions,
            max_message_bytes=settings.ws_max_message_bytes,
            queue_size=settings.subscriber_queue_size,
            init_timeout=settings.ws_init_timeout,
            keepalive=settings.ws_keepalive,
        ),
    )
    streams = HttpStreams(
        services,
        limits=StreamLimits(
            max_streams=settings.stream_max_open,
            max_operations=settings.ws_max_subscriptions,
            queue_size=settings.subscriber_queue_size,
            sse_heartbeat=settings.sse_heartbeat,
            multipart_heartbeat=settings.multipart_heartbeat,
        ),
    )

    def database() -> Database:
        assert pool is not None
        return pool

    single = SingleConnections(streams, EventStreams(database))
    graphql = GraphQLRoute(endpoint, streams)
    routes: list[Any] = [
        Route("/graphql", graphql, methods=None),
        Route("/graphql/stream", StreamRoute(streams, single), methods=None),
        WebSocketRoute("/graphql", sockets),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *graphiql.routes(),
    ]
    if shared is not None and settings.metrics is not MetricsAccess.PORT:
        staff_only = settings.metrics is MetricsAccess.STAFF
        verifier = endpoint.tokens if staff_only else None
        routes.append(Route("/metrics", metrics_share.endpoint(shared, tokens=verifier)))
    app = App(routes=routes, lifespan=lifespan)
    app.state.graphql = endpoint  # for tools and tests that look at the handler itself
    app.state.metrics = metrics
    app.state.subscriptions = hub
    app.state.sockets = sockets
    app.state.streams = streams
    app.add_middleware(GraphQLPosts, endpoint=graphql)  # inside RequestMiddleware
    app.add_middleware(RequestMiddleware, observer=observer)
    return app


def _metrics(settings: Settings) -> Metrics | None:
    if settings.metrics is MetricsAccess.OFF:
        return None
    known: list[str] = []
    if settings.persisted_queries_manifest is not None:
        known = manifest_names(settings.persisted_queries_manifest)
    return Metrics(OperationNames(limit=settings.metrics_operation_names, known=known))


def _observer(
    settings: Settings, metrics: Metrics | None, provider: TracerProvider | None
) -> Observer | None:
    """Who watches requests; None when nothing does (metrics off, no traces, no slow log)."""
    provider = provider or provider_from_environment()
    tracing = None if provider is None else Tracing(provider, document=settings.trace_document)
    slow = settings.slow_operation_ms / 1000 if settings.slow_operation_ms > 0 else None
    if tracing is not None:
        put_trace_ids_on_log_records()
    if metrics is None and tracing is None and slow is None:
        return None
    return Observer(metrics=metrics, tracing=tracing, slow_seconds=slow)
