"""Metrics and traces from real server processes: two workers, one scrape; OTLP export."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench import otlp_sink
from server.embedded import free_port
from server.metrics_share import PUBLISH_EVERY_SECONDS
from tests.api.observed import Scrape
from tests.e2e.conftest import storefront_serve

pytestmark = pytest.mark.e2e

QUERY = {"query": "query Catalogue { products(first: 1) { nodes { name } } }"}
REQUESTS = 30


def _scrape(base_url: str) -> Scrape:
    # A connection of its own each time: the kernel may hand it to either worker.
    response = httpx.get(base_url + "/metrics", headers={"Connection": "close"}, timeout=5)
    assert response.status_code == 200, response.text
    return Scrape(response.text)


@pytest.mark.parametrize("mode", ["open", "port"])
def test_one_scrape_counts_every_worker(
    tmp_path: Path, database_url: str, db: object, mode: str
) -> None:
    env = {
        "STOREFRONT_WORKERS": "2",
        "STOREFRONT_METRICS": mode,
        "STOREFRONT_SEED_DEMO": "false",
    }
    scrapes = None
    if mode == "port":  # both workers bind the metrics address
        port = free_port()
        env["STOREFRONT_METRICS_BIND"] = f"127.0.0.1:{port}"
        scrapes = f"http://127.0.0.1:{port}"
    with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as server:
        if scrapes is not None:
            assert httpx.get(server.base_url + "/metrics", timeout=5).status_code == 404
        scrape_url = scrapes or server.base_url
        for _ in range(REQUESTS):
            answered = httpx.post(
                server.graphql_url, json=QUERY, headers={"Connection": "close"}, timeout=10
            )
            assert answered.status_code == 200
        deadline = time.monotonic() + 15
        while True:
            figures = _scrape(scrape_url)
            counted = figures.total("storefront_graphql_requests_total", outcome="ok")
            workers = figures.value("storefront_metrics_processes")
            if (counted, workers) == (REQUESTS, 2) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert (counted, workers) == (REQUESTS, 2)
        # Whichever worker answers, it tells the same sum, once each has published its
        # last second (a scrape may miss another worker's last second, by design).
        time.sleep(PUBLISH_EVERY_SECONDS + 0.5)
        for _ in range(6):
            again = _scrape(scrape_url)
            assert again.total("storefront_graphql_requests_total", outcome="ok") == REQUESTS
        assert again.value("storefront_db_pool_connections_max") == 2 * 10


@pytest.fixture
def collector() -> Iterator[tuple[str, list[bytes]]]:
    """An OTLP/HTTP receiver on loopback that keeps what it is sent."""
    received: list[bytes] = []
    server, _ = otlp_sink.receiver(0, keep=received)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_traces_leave_over_otlp_when_the_endpoint_is_set(
    tmp_path: Path, database_url: str, db: object, collector: tuple[str, list[bytes]]
) -> None:
    endpoint, received = collector
    env = {
        "STOREFRONT_SEED_DEMO": "false",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": "storefront-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as server:
        answered = httpx.post(server.graphql_url, json=QUERY, timeout=10)
        assert answered.status_code == 200
        trace_id = answered.headers["x-request-id"]
        deadline = time.monotonic() + 15
        while not _spans(received) and time.monotonic() < deadline:
            time.sleep(0.1)
    spans = _spans(received)
    operation = [s for s in spans if s[1] == "query"]
    assert operation, [s[1] for s in spans]
    assert operation[0][0] == trace_id
    assert ("service.name", "storefront-under-test") in _resource(received)


def _spans(received: list[bytes]) -> list[tuple[str, str]]:
    found = []
    for body in received:
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                found += [(span.trace_id.hex(), span.name) for span in scope.spans]
    return found


def _resource(received: list[bytes]) -> set[tuple[str, str]]:
    found = set()
    for body in received:
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            for attribute in resource.resource.attributes:
                found.add((attribute.key, attribute.value.string_value))
    return found
