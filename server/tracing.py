"""OpenTelemetry traces: a server span per request, its GraphQL operation, phases and SQL.

The server span starts when the request arrives (continuing the caller's trace when it
sends `traceparent`) and is the current span while the request runs, so log lines carry
its ids. The rest is written when the response is done, from the request's `Observation`
and with the times it noted: the GraphQL span (named by operation type), a span per
phase, a span per SQL statement under the phase it ran in, and a span per loader batch
linked to a span of each field that waited on it. Nothing of this runs, and
no span is made, when tracing is off.
"""

from __future__ import annotations

import logging
import os
from time import time_ns
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from engine.observe import Observation

ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})


def provider_from_environment() -> TracerProvider | None:
    """A provider exporting over OTLP (HTTP/protobuf) when `OTEL_EXPORTER_OTLP_ENDPOINT`
    (or `..._TRACES_ENDPOINT`) is set, else None. The SDK reads the other `OTEL_*`
    variables itself: sampler, batching, headers, resource attributes, service name."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "storefront"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


class Tracing:
    def __init__(self, provider: trace.TracerProvider, *, document: bool = False) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("storefront")
        self.document = document  # graphql.document is opt-in: it may hold literals

    def flush(self) -> None:
        flush = getattr(self.provider, "force_flush", None)
        if flush is not None:
            flush()

    def start(self, scope: dict[str, Any]) -> tuple[Span, object]:
        """The request's server span, made current; returns it and the token to detach."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        route = path if path in ROUTES else None
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.path": path,
            "url.scheme": scope.get("scheme", "http"),
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        if route is not None:
            attributes["http.route"] = route
        if (server := scope.get("server")) is not None:
            attributes["server.address"], attributes["server.port"] = server[0], server[1]
        if (client := scope.get("client")) is not None:
            attributes["client.address"] = client[0]
        if (agent := headers.get("user-agent")) is not None:
            attributes["user_agent.original"] = agent
        span = self.tracer.start_span(
            f"{method} {route}" if route else method,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
        return span, context.attach(trace.set_span_in_context(span))

    def finish(
        self,
        span: Span,
        token: object,
        *,
        status: int,
        request_id: str,
        observation: Observation | None,
    ) -> None:
        context.detach(token)  # type: ignore[arg-type]
        span.set_attribute("http.response.status_code", status)
        span.set_attribute("storefront.request_id", request_id)
        if status >= 500:
            span.set_attribute("error.type", str(status))
            span.set_status(Status(StatusCode.ERROR))
        if (
            observation is not None
            and observation.operation_type is not None
            and span.is_recording()  # a request sampled out gets no spans below this one
        ):
            self._operation(span, observation)
        span.end()

    def _operation(self, parent: Span, seen: Observation) -> None:
        # Wall-clock time of a `perf_counter_ns` reading: the server span and the
        # observation began together.
        began = getattr(parent, "start_time", None)
        at = (time_ns() if began is None else began) - seen.started
        kind = seen.operation_type
        attributes: dict[str, Any] = {"graphql.operation.type": kind}
        if seen.operation_name is not None:
            attributes["graphql.operation.name"] = seen.operation_name
        if self.document and seen.document is not None:
            attributes["graphql.document"] = seen.document
        attributes["storefront.outcome"] = seen.outcome or "unknown"
        operation = self.tracer.start_span(
            kind or "GraphQL Operation",
            context=trace.set_span_in_context(parent),
            kind=SpanKind.SERVER,
            attributes=attributes,
            start_time=at + seen.started,
        )
        if seen.failed:
            operation.set_attribute("error.type", seen.outcome or "unknown")
            operation.set_status(Status(StatusCode.ERROR))
        phases = []
        for name, started, ended in seen.phases:
            phase = self.tracer.start_span(
                name, context=trace.set_span_in_context(operation), start_time=at + started
            )
            if name in ("execute", "serialise") and seen.engine is not None:
                phase.set_attribute("storefront.engine", seen.engine)
            phases.append((phase, started, ended))
        fields = self._fields(operation, phases, seen.batches, at)
        batches: dict[int, Span] = {}
        for batch in seen.batches:
            batches[id(batch)] = self.tracer.start_span(
                f"load {batch.name}",
                context=trace.set_span_in_context(_within(operation, phases, batch.started)),
                attributes={"storefront.loader": batch.name, "storefront.loader.keys": batch.keys},
                start_time=at + batch.started,
                links=[Link(fields[id(w)][0].get_span_context()) for w in batch.waiters],
            )
        for statement in seen.statements:
            holder = (
                _within(operation, phases, statement.started)
                if statement.batch is None
                else batches[id(statement.batch)]
            )
            _statement_span(self.tracer, holder, statement, at)
        for batch in seen.batches:
            batches[id(batch)].end(end_time=at + batch.ended)
        for span, ended in fields.values():
            span.end(end_time=at + ended)
        ends = [ended for _, _, ended in phases]
        for phase, _, ended in phases:
            phase.end(end_time=at + ended)
        operation.end(end_time=at + max(ends) if ends else None)

    def _fields(
        self, operation: Span, phases: list[tuple[Span, int, int]], batches: list[Any], at: int
    ) -> dict[int, tuple[Span, int]]:
        """A span for each field that waited on a batch, by the waiter's id, with its end
        (when it was left unfinished: the last batch it waited on)."""
        fields: dict[int, tuple[Span, int]] = {}
        for batch in batches:
            for waiter in batch.waiters:
                known = fields.get(id(waiter))
                if known is not None:
                    fields[id(waiter)] = (known[0], max(known[1], batch.ended))
                    continue
                where = waiter.where
                path = where.as_list() if hasattr(where, "as_list") else [where]
                span = self.tracer.start_span(
                    waiter.name,
                    context=trace.set_span_in_context(_within(operation, phases, waiter.started)),
                    attributes={
                        "graphql.field.name": waiter.name.rpartition(".")[2],
                        "graphql.field.path": ".".join(map(str, path)),
                    },
                    start_time=at + waiter.started,
                )
                fields[id(waiter)] = (span, max(waiter.ended, batch.ended))
        return fields


def _within(operation: Span, phases: list[tuple[Span, int, int]], moment: int) -> Span:
    """The phase that was running at `moment`, else the operation."""
    for phase, started, ended in phases:
        if started <= moment <= ended:
            return phase
    return operation


def _statement_span(tracer: trace.Tracer, parent: Span, statement: Any, at: int) -> None:
    verb = _verb(statement.query)
    attributes: dict[str, Any] = {
        "db.system.name": "postgresql",
        "db.query.text": statement.query,  # parameters are never recorded
        "db.operation.name": verb,
        "db.response.returned_rows": statement.rows,
    }
    span = tracer.start_span(
        verb,
        context=trace.set_span_in_context(parent),
        kind=SpanKind.CLIENT,
        attributes=attributes,
        start_time=at + statement.started,
    )
    if (error := statement.error) is not None:
        span.set_attribute("error.type", type(error).__qualname__)
        if (state := getattr(error, "sqlstate", None)) is not None:
            span.set_attribute("db.response.status_code", state)
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=at + statement.ended)


def _verb(query: str) -> str:
    """The statement's first keyword: SELECT, INSERT, WITH, ..."""
    words = query.lstrip().split(None, 1)
    return words[0].upper() if words else "SQL"


def put_trace_ids_on_log_records() -> None:
    """Every log record made while a span is current carries its trace and span ids (as
    `trace_id` and `span_id`: fields of the JSON log format). Installed once, and only
    when tracing is on: otherwise a record costs nothing more."""
    make = logging.getLogRecordFactory()
    if getattr(make, "_puts_trace_ids", False):
        return

    def with_trace_ids(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        found = trace.get_current_span().get_span_context()
        if found.is_valid:
            record.trace_id = format(found.trace_id, "032x")
            record.span_id = format(found.span_id, "016x")
        return record

    with_trace_ids._puts_trace_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(with_trace_ids)
