"""The engine's parts as the settings configure them: persisted operations, query, WebSocket
and stream limits, metrics and the request observer."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, TypeVar

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

Limits = TypeVar("Limits", QueryLimits, WsLimits, StreamLimits)


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
    return _configured(
        QueryLimits, settings, default_page="default_page_size", max_page="max_page_size"
    )


def ws_limits(settings: Settings) -> WsLimits:
    return _configured(WsLimits, settings, "ws_", queue_size="subscriber_queue_size")


def stream_limits(settings: Settings) -> StreamLimits:
    return _configured(
        StreamLimits,
        settings,
        max_streams="stream_max_open",
        max_operations="ws_max_subscriptions",
        queue_size="subscriber_queue_size",
    )


def _configured(kind: type[Limits], settings: Settings, prefix: str = "", **names: str) -> Limits:
    """`kind` with every field from its setting: `prefix` and the field's name, unless
    `names` names another. A limit without a setting fails here, at start-up."""
    return kind(
        **{f.name: getattr(settings, names.get(f.name, prefix + f.name)) for f in fields(kind)}
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
