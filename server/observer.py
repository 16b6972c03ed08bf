"""Who watches requests: metrics, traces and the slow-operation log, fed by one record.

The middleware asks `Observer.begin` at the start of each request and `end` when its
response is done. A GraphQL request gets an `Observation` (the handler and the database
write into it); metrics, the slow log and the trace read it once, at the end. With all
three off the app gets no observer at all.
"""

from __future__ import annotations

import logging
from time import perf_counter_ns
from typing import Any

from engine.observe import Observation, current
from server.metrics import Metrics
from server.tracing import Tracing
from sql.observe import sink

log = logging.getLogger("storefront.slow")

GRAPHQL_PATH = "/graphql"


class Watch:
    """One request being watched: its observation, its server span, the tokens to reset."""

    __slots__ = ("observation", "span", "span_token", "tokens")

    def __init__(self) -> None:
        self.observation: Observation | None = None
        self.span: Any = None
        self.span_token: object = None
        self.tokens: tuple[Any, Any] | None = None

    @property
    def trace_id(self) -> str | None:
        if self.span is None:
            return None
        return format(self.span.get_span_context().trace_id, "032x")


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

    def begin(self, scope: dict[str, Any]) -> Watch:
        watch = Watch()
        if self.tracing is not None:
            watch.span, watch.span_token = self.tracing.start(scope)
        if scope["path"] == GRAPHQL_PATH:
            observation = watch.observation = Observation()
            observation.traced = watch.span is not None and watch.span.is_recording()
            watch.tokens = (current.set(observation), sink.set(observation))
        return watch

    def end(self, watch: Watch, *, status: int, request_id: str) -> None:
        observation = watch.observation
        if watch.tokens is not None:
            current.reset(watch.tokens[0])
            sink.reset(watch.tokens[1])
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
