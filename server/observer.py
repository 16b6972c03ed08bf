"""Who watches requests: metrics, traces and the slow-operation log, fed by one record.

The middleware asks `Observer.begin` at the start of each request and `end` when its
response is done. A GraphQL request gets an `Observation` (the handler and the database
write into it); metrics, the slow log and the trace read it once, at the end. With all
three off the app gets no observer at all.
"""

from __future__ import annotations

import logging
from contextvars import Token
from time import perf_counter_ns
from typing import Any

from engine.observe import Observation
from server.metrics import Metrics
from server.tracing import Tracing
from sql.observe import sink

log = logging.getLogger("storefront.slow")

GRAPHQL_PATH = "/graphql"


class Watch(Observation):
    """One request being watched: the record itself (read as `observation` for a GraphQL
    request), its server span, and the token that resets the record's context variable.
    One object per request rather than a record and a holder for it."""

    __slots__ = ("graphql", "span", "span_token", "token", "trace_id")
    graphql: bool
    span: Any
    span_token: object
    token: Token[Any] | None
    trace_id: str | None

    @property
    def observation(self) -> Observation | None:
        return self if self.graphql else None


class Observer:
    def __init__(
        self,
        *,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
        slow_seconds: float | None = None,
    ) -> None:
        self.metrics = metrics
        self.tracing = tracing
        self.slow_ns = None if slow_seconds is None else int(slow_seconds * 1e9)

    def begin(self, scope: dict[str, Any]) -> Watch | None:
        """The watch of a request; None when nobody would read it (no trace, not GraphQL)."""
        graphql = scope["path"] == GRAPHQL_PATH
        if not graphql and self.tracing is None:
            return None
        watch = Watch()
        watch.graphql = graphql
        watch.token = watch.span = watch.span_token = watch.trace_id = None
        if self.tracing is not None:
            watch.span, watch.span_token = self.tracing.start(scope)
            watch.trace_id = format(watch.span.get_span_context().trace_id, "032x")
            watch.traced = graphql and watch.span.is_recording()
        if graphql:
            watch.token = sink.set(watch)
        return watch

    def end(self, watch: Watch, *, status: int, request_id: str) -> None:
        if watch.token is not None:
            sink.reset(watch.token)
        observation = watch if watch.graphql else None
        if observation is not None:
            took = perf_counter_ns() - observation.started
            if self.metrics is not None:
                self.metrics.record(observation, took / 1e9)
            if self.slow_ns is not None and took >= self.slow_ns:
                _slow_line(observation, took, request_id)
        if self.tracing is not None:
            self.tracing.finish(
                watch.span,
                watch.span_token,
                status=status,
                request_id=request_id,
                observation=observation,
            )


def _slow_line(observation: Observation, took: int, request_id: str) -> None:
    phases: dict[str, float] = {}
    for name, started, ended in observation.phases:
        phases[name] = round((ended - started) / 1e6, 2)
    log.warning(
        "slow operation %s (%.0f ms)",
        observation.operation_name or observation.operation_type or "unknown",
        took / 1e6,
        extra={
            "operation": observation.operation_name,
            "operation_type": observation.operation_type,
            "outcome": observation.outcome,
            "duration_ms": round(took / 1e6, 2),
            "phases_ms": phases,
            "engine": observation.engine,
            "sql_statements": len(observation.statements),
            "sql_ms": round(sum(s.ended - s.started for s in observation.statements) / 1e6, 2),
            "request_id": request_id,
        },
    )
