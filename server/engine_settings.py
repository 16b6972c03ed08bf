"""The engine's parts as the settings configure them: persisted operations, query, WebSocket
and stream limits, metrics and the request observer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.limits import QueryLimits
from engine.persisted import Mode, PersistedOperations
from engine.persisted_manifest import ManifestError, load_manifest, manifest_names
from engine.stream_channel import StreamLimits
from engine.ws import WsLimits
from server.metrics import Metrics, OperationNames
from server.observer import Observer
from server.settings import MetricsAccess, Settings
from server.tracing import Tracing, provider_from_environment, put_trace_ids_on_log_records

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider


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


def query_limits(settings: Settings) -> QueryLimits:
    return QueryLimits(
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
    )


def ws_limits(settings: Settings) -> WsLimits:
    return WsLimits(
        max_connections=settings.ws_max_connections,
        max_subscriptions=settings.ws_max_subscriptions,
        max_message_bytes=settings.ws_max_message_bytes,
        queue_size=settings.subscriber_queue_size,
        init_timeout=settings.ws_init_timeout,
        keepalive=settings.ws_keepalive,
    )


def stream_limits(settings: Settings) -> StreamLimits:
    return StreamLimits(
        max_streams=settings.stream_max_open,
        max_operations=settings.ws_max_subscriptions,
        queue_size=settings.subscriber_queue_size,
        sse_heartbeat=settings.sse_heartbeat,
        multipart_heartbeat=settings.multipart_heartbeat,
    )


def metrics(settings: Settings) -> Metrics | None:
    if settings.metrics is MetricsAccess.OFF:
        return None
    known: list[str] = []
    if settings.persisted_queries_manifest is not None:
        known = manifest_names(settings.persisted_queries_manifest)
    return Metrics(OperationNames(limit=settings.metrics_operation_names, known=known))


def observer(
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
