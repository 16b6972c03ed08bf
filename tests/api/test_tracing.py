"""Traces, read back from the SDK's in-memory exporter: the span tree of a request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, Span, Tracer, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind, StatusCode

from sql.pool import Database
from tests.api.conftest import GraphQLClient, StatementRecorder, staff_client
from tests.api.observed import PLACE, Q2, UPDATE, place_input, shop

PHASES = ["parse", "validate", "cost", "execute", "serialise"]


@dataclass(frozen=True)
class Tracing:
    """Apps over the test database whose spans are exported to memory."""

    database_url: str
    recorder: StatementRecorder
    provider: TracerProvider
    exporter: InMemorySpanExporter

    def client(self, **settings: Any) -> AbstractAsyncContextManager[GraphQLClient]:
        return staff_client(
            self.database_url, self.recorder, tracer_provider=self.provider, **settings
        )

    def tree(self) -> Tree:
        return Tree(self.exporter.get_finished_spans())


@pytest.fixture
def tracing(database_url: str, db: Database, recorder: StatementRecorder) -> Iterator[Tracing]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield Tracing(database_url, recorder, provider, exporter)
    provider.shutdown()


class Tree:
    """Finished spans by parent."""

    def __init__(self, spans: tuple[ReadableSpan, ...]) -> None:
        self.spans = spans

    def one(self, name: str) -> ReadableSpan:
        [found] = [s for s in self.spans if s.name == name]
        return found

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        found = [
            s
            for s in self.spans
            if s.parent is not None and s.parent.span_id == parent.context.span_id
        ]
        return sorted(found, key=lambda s: s.start_time or 0)


@dataclass(frozen=True)
class Traced:
    """Q2 over the shop, traced: its answer and spans, by one engine or the other."""

    response: httpx.Response
    spans: tuple[ReadableSpan, ...]
    compiled: bool


@pytest.fixture(params=[True, False], ids=["compiled", "graphql-core"])
async def q2(request: pytest.FixtureRequest, tracing: Tracing, db: Database) -> Traced:
    return await _traced(Q2, request.param, tracing, db)


LOADED = Q2
for _relation in ("customer", "product", "category"):
    LOADED = LOADED.replace(f"{_relation} {{ ", f"{_relation} {{ createdAt ")
"""Q2 with times under its relations: read through the loaders by either engine (the
database renders no subtree that shows a time)."""


@pytest.fixture(params=[True, False], ids=["compiled", "graphql-core"])
async def loaded(request: pytest.FixtureRequest, tracing: Tracing, db: Database) -> Traced:
    return await _traced(LOADED, request.param, tracing, db)


async def _traced(query: str, compiled: bool, tracing: Tracing, db: Database) -> Traced:
    await shop(db)
    async with tracing.client(compiled_reads=compiled) as client:
        response = await client.post({"query": query})
    assert response.status_code == 200
    assert "errors" not in response.json()
    return Traced(response, tracing.exporter.get_finished_spans(), compiled)


async def test_the_nested_query_as_a_span_tree(q2: Traced, recorder: StatementRecorder) -> None:
    tree = Tree(q2.spans)
    server = tree.one("POST /graphql")
    assert server.kind is SpanKind.SERVER
    assert server.parent is None
    assert server.attributes is not None
    assert server.attributes["http.request.method"] == "POST"
    assert server.attributes["http.route"] == "/graphql"
    assert server.attributes["http.response.status_code"] == 200
    [operation] = tree.children(server)
    assert operation.name == "query"
    assert dict(operation.attributes or {}) == {
        "graphql.operation.type": "query",
        "graphql.operation.name": "Orders",
        "storefront.outcome": "ok",
    }
    phases = tree.children(operation)
    assert [p.name for p in phases] == PHASES
    execute = phases[3]
    assert (execute.attributes or {})["storefront.engine"] == (
        "compiled" if q2.compiled else "graphql-core"
    )
    # Under execute: the page of orders' statement, and a span per loader batch holding
    # the statements it ran; compiled, no loader: the database renders every order's
    # customer and lines in one statement (`sql.rendered`), named as a batch is.
    loads = [c for c in tree.children(execute) if c.name.startswith("load ")]
    if q2.compiled:
        assert [c.name for c in loads] == ["load rendered Order.customer, Order.lines"]
        assert (loads[0].attributes or {})["storefront.loader.keys"] == 3  # the orders
        [rendering] = tree.children(loads[0])
        assert " MATERIALIZED " in str((rendering.attributes or {})["db.query.text"])
        assert len(recorder.statements) == 2
    else:
        assert {c.name for c in loads} >= {"load customers_by_ids", "load products_by_ids"}
    for load in loads:
        keys = (load.attributes or {})["storefront.loader.keys"]
        assert isinstance(keys, int)
        assert keys >= 1
        assert [c.kind for c in tree.children(load)] == [SpanKind.CLIENT]
    statements = [c for c in tree.children(execute) if c.kind is SpanKind.CLIENT]
    statements += [s for load in loads for s in tree.children(load)]
    texts = [(s.attributes or {})["db.query.text"] for s in statements]
    assert sorted(map(str, texts)) == sorted(recorder.statements)
    for statement in statements:
        attributes = dict(statement.attributes or {})
        assert statement.kind is SpanKind.CLIENT
        assert attributes["db.system.name"] == "postgresql"
        assert statement.name == attributes["db.operation.name"] == "SELECT"
        assert set(attributes) == {
            "db.system.name",
            "db.query.text",
            "db.operation.name",
            "db.response.returned_rows",
        }  # the parameters never
        assert execute.start_time is not None
        assert execute.end_time is not None
        assert statement.start_time is not None
        assert statement.end_time is not None
        assert execute.start_time <= statement.start_time <= statement.end_time
        assert statement.end_time <= execute.end_time
    orders = [
        s for s in statements if "FROM orders AS t0" in str((s.attributes or {})["db.query.text"])
    ]
    assert (orders[0].attributes or {})["db.response.returned_rows"] == 3


async def test_the_callers_trace_continues_and_the_request_id_is_the_trace_id(
    tracing: Tracing, caplog: pytest.LogCaptureFixture
) -> None:
    trace_id, parent_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    caplog.set_level(logging.INFO, logger="storefront.access")
    async with tracing.client() as client:
        continued = await client.post(
            {"query": "{ products(first: 1) { nodes { name } } }"},
            traceparent=f"00-{trace_id}-{parent_id}-01",
        )
        fresh = await client.post({"query": "{ broken"})
    tree = tracing.tree()
    first, second = sorted(
        (s for s in tree.spans if s.name == "POST /graphql"), key=lambda s: s.start_time or 0
    )
    assert format(first.context.trace_id, "032x") == trace_id
    assert first.parent is not None
    assert format(first.parent.span_id, "016x") == parent_id
    assert continued.headers["x-request-id"] == trace_id
    assert fresh.headers["x-request-id"] == format(second.context.trace_id, "032x")
    [masked] = fresh.json()["errors"]
    assert masked["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    # The access lines carry the ids of the spans they were written in.
    lines = [r for r in caplog.records if r.name == "storefront.access"]
    assert [getattr(r, "trace_id", None) for r in lines] == [
        trace_id,
        format(second.context.trace_id, "032x"),
    ]
    assert getattr(lines[0], "span_id", None) == format(first.context.span_id, "016x")


async def test_a_failed_mutation(tracing: Tracing, db: Database) -> None:
    ids = await shop(db)
    async with tracing.client(trace_document=True) as client:
        body = await client.query(PLACE, {"input": place_input(ids["customer"], ids["b"], 5)})
    assert body["data"] == {"placeOrder": {}}
    tree = tracing.tree()
    operation = tree.one("mutation")
    assert dict(operation.attributes or {}) == {
        "graphql.operation.type": "mutation",
        "graphql.operation.name": "Place",
        "graphql.document": PLACE,
        "storefront.outcome": "INSUFFICIENT_STOCK",
    }
    assert operation.status.status_code is StatusCode.UNSET  # a union error is data
    [execute] = [p for p in tree.children(operation) if p.name == "execute"]
    assert len(tree.children(execute)) == len(tracing.recorder.statements) > 0


async def test_a_timeout(tracing: Tracing, db: Database) -> None:
    """The update waits on a row lock this test holds until the request's time is up."""
    ids = await shop(db)
    product = place_input(ids["customer"], ids["a"], 1)["lines"][0]["productId"]
    async with (
        tracing.client(request_timeout=0.5) as client,
        db.acquire() as holder,
        holder.transaction(),
    ):
        await holder.execute("SELECT 1 FROM products WHERE id = $1 FOR UPDATE", ids["a"])
        stopped = await client.post({"query": UPDATE, "variables": {"id": product, "rev": 1}})
    assert stopped.status_code == 504
    tree = tracing.tree()
    operation = tree.one("mutation")
    assert operation.status.status_code is StatusCode.ERROR
    assert (operation.attributes or {})["error.type"] == "TIMEOUT"
    server = tree.one("POST /graphql")
    assert (server.attributes or {})["http.response.status_code"] == 504
    assert server.status.status_code is StatusCode.ERROR
    [execute] = [p for p in tree.children(operation) if p.name == "execute"]
    failed = [s for s in tree.children(execute) if s.status.status_code is StatusCode.ERROR]
    assert [(s.attributes or {})["error.type"] for s in failed] == ["CancelledError"]
    assert "UPDATE products" in str((failed[0].attributes or {})["db.query.text"])


async def test_no_span_is_made_when_tracing_is_off(
    tracing: Tracing, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Any] = []
    start = Span.start

    def counted(self: Span, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        start(self, *args, **kwargs)

    monkeypatch.setattr(Span, "start", counted)
    await shop(db)
    async with staff_client(tracing.database_url, tracing.recorder, metrics="open") as client:
        await client.data(Q2)
    assert made == []
    async with tracing.client() as client:
        await client.data(Q2)
    assert len(made) > 5  # the control: with tracing on, the same request makes spans


async def test_a_slow_operation_is_logged_with_its_phases_and_sql(
    database_url: str,
    db: Database,
    recorder: StatementRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await shop(db)
    caplog.set_level(logging.WARNING, logger="storefront.slow")
    async with staff_client(database_url, recorder, slow_operation_ms=0.001) as client:
        await client.data(Q2)
        await asyncio.sleep(0)
    [line] = [r for r in caplog.records if r.name == "storefront.slow"]
    assert line.getMessage().startswith("slow operation Orders (")
    fields: dict[str, Any] = line.__dict__
    assert fields["operation"] == "Orders"
    assert list(fields["phases_ms"]) == PHASES
    assert fields["sql_statements"] == len(recorder.statements)
    assert fields["duration_ms"] >= sum(fields["phases_ms"].values())


async def test_a_request_sampled_out_makes_nothing_below_its_server_span(
    database_url: str,
    db: Database,
    recorder: StatementRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    start_span = Tracer.start_span

    def counted(self: Tracer, name: str, *args: Any, **kwargs: Any) -> Any:
        started.append(name)
        return start_span(self, name, *args, **kwargs)

    monkeypatch.setattr(Tracer, "start_span", counted)
    await shop(db)
    never = TracerProvider(sampler=ALWAYS_OFF)
    async with staff_client(database_url, recorder, tracer_provider=never) as client:
        await client.data(Q2)
    assert started == ["POST /graphql"]


async def test_each_loader_batch_is_linked_to_the_fields_that_waited_on_it(
    loaded: Traced,
) -> None:
    orders = len(loaded.response.json()["data"]["orders"]["edges"])
    spans, compiled = loaded.spans, loaded.compiled
    by_id = {s.context.span_id: s for s in spans}
    tree = Tree(spans)
    execute = tree.one("execute")
    linked: dict[str, list[ReadableSpan]] = {}
    for load in (s for s in spans if s.name.startswith("load ")):
        linked[load.name] = [by_id[link.context.span_id] for link in load.links]
        for field in linked[load.name]:  # waited from its start to the batch's end
            assert field.parent is not None
            assert field.parent.span_id == execute.context.span_id
            assert (field.start_time or 0) <= (load.start_time or 0)
            assert (load.end_time or 0) <= (field.end_time or 0)
    customers = linked["load customers_by_ids"]
    assert {f.name for f in customers} == {"Order.customer"}
    paths = sorted(str((f.attributes or {})["graphql.field.path"]) for f in customers)
    if compiled:  # one field for all the orders of the page
        assert paths == ["customer"]
    else:  # each order's field
        assert paths == [f"orders.edges.{i}.node.customer" for i in range(orders)]
    assert {f.name for f in linked["load products_by_ids"]} == {"OrderLine.product"}
    assert {f.name for f in linked["load categories_by_ids"]} == {"Product.category"}
    # Six lines, one product each; graphql-core's fields wait one by one, the level at once.
    assert len(linked["load products_by_ids"]) == (1 if compiled else 2 * orders)
