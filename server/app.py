"""The ASGI application: the engine over the schema, its routes and the pool's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from engine.admission import Admission
from engine.http import GraphQLEndpoint
from engine.http_streams import HttpStreams
from engine.sse_single import SingleConnections
from engine.stream_routes import GraphQLPosts, GraphQLRoute, StreamRoute
from engine.stream_transport import StreamServices
from engine.ws import WebSocketServer
from gql.schema import schema
from gql.subscriptions import Hub
from resolvers.context import PageLimits, RequestContext
from resolvers.event_streams import EventStreams
from resolvers.viewer import Viewer
from server import engine_settings, graphiql, graphiql_examples, housekeeping, metrics_share, tokens
from server.database import direct_database_url, open_pool, open_replicas
from server.direct_http import DirectPosts
from server.health import health_routes
from server.metrics_listener import serve_metrics
from server.middleware import App, RequestMiddleware, Requests
from server.settings import Environment, MetricsAccess, Settings
from server.shutdown import Shutdown
from sql import event_streams
from sql.feed_listener import FeedListener
from sql.pool import Database, QueryLogger
from sql.replicas import ReplicaReads, Replicas

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider


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
    persisted = engine_settings.persisted_operations(settings)
    pool: Database | None = None
    replicas: Replicas | None = None
    shutdown = Shutdown(delay=settings.shutdown_delay)
    metrics = engine_settings.metrics(settings)
    observer = engine_settings.observer(settings, metrics, tracer_provider)
    shared = None if metrics is None else metrics_share.SharedFigures(metrics, settings.metrics_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool, replicas
        pool = await open_pool(settings, database_url, query_logger=query_logger)
        app.state.pool = pool  # for tools and tests that need the app's own pool
        replicas = await open_replicas(settings, pool, query_logger=query_logger)
        app.state.replicas = replicas
        tasks = [asyncio.create_task(housekeeping.purge_expired_keys(pool))]
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
            asyncio.create_task(
                housekeeping.prune_events(pool, retention_hours=settings.event_retention_hours)
            )
        )
        listener = FeedListener(
            direct_database_url(settings, database_url), hub.publish, started=hub.window.start
        )
        listener.listen(event_streams.CHANNEL, single.heard)
        app.state.feed = listener  # for tools and tests that follow the feed
        await listener.start()
        housekeeping.settle_collector()
        shutdown.on_stop.append(lambda: housekeeping.later(sockets.shutdown()))
        shutdown.on_stop.append(lambda: housekeeping.later(streams.shutdown()))
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

    async def graphiql_page(request: Request) -> Response:
        assert pool is not None
        setup = await graphiql_examples.page_setup(settings, pool)
        return await graphiql.page(request, setup=setup)

    endpoint = GraphQLEndpoint(
        schema._schema,
        context=context_for,
        tokens=tokens.verifier(settings),
        graphiql=graphiql_page,
        admission=Admission(
            max_concurrent=settings.max_concurrent_requests, deadline=settings.request_timeout
        ),
        persisted=persisted,
        limits=engine_settings.query_limits(settings),
        introspection=settings.env is Environment.DEVELOPMENT,
        compiled=settings.compiled,
    )
    hub = Hub(endpoint, context_for)
    services = StreamServices(
        endpoint, hub, tokens=endpoint.tokens, admission=endpoint.admission, context=context_for
    )
    sockets = WebSocketServer(services, limits=engine_settings.ws_limits(settings))
    streams = HttpStreams(services, limits=engine_settings.stream_limits(settings))

    def database() -> Database:
        assert pool is not None
        return pool

    single = SingleConnections(streams, EventStreams(database))
    graphql = GraphQLRoute(endpoint, streams)
    routes: list[Any] = [
        Route("/graphql", graphql, methods=None),
        Route("/graphql/stream", StreamRoute(streams, single), methods=None),
        WebSocketRoute("/graphql", sockets),
        *health_routes(database, shutdown, acquire_timeout=settings.pool_acquire_timeout),
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
    requests = Requests(observer)
    app.add_middleware(GraphQLPosts, endpoint=graphql)  # inside RequestMiddleware
    app.add_middleware(RequestMiddleware, requests=requests)
    if settings.direct_http:
        app.direct_posts = DirectPosts(requests, endpoint)
    return app
