"""GET /metrics: requests by operation and outcome, phases, the database, admission."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest

from server.embedded import free_port
from server.metrics import PROMOTE_AFTER
from server.metrics_listener import parse_bind
from sql.pool import Database
from tests.api.conftest import StatementRecorder, staff_client
from tests.api.observed import PLACE, Q2, UPDATE, Scrape, place_input, shop
from tests.conftest import token

REQUESTS = "storefront_graphql_requests_total"
PHASES = "storefront_graphql_phase_duration_seconds_count"


async def scrape(client: Any) -> Scrape:
    response = await client.http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(response.text)


async def test_metrics_are_closed_unless_configured(
    database_url: str, db: Database, recorder: StatementRecorder
) -> None:
    async with staff_client(database_url, recorder) as client:
        assert (await client.http.get("/metrics")).status_code == 404


async def test_staff_mode_wants_a_staff_token(
    database_url: str, db: Database, recorder: StatementRecorder
) -> None:
    async with staff_client(database_url, recorder, metrics="staff") as client:
        anonymous = await client.http.get("/metrics")
        customer = await client.http.get(
            "/metrics", headers={"Authorization": f"Bearer {token('customer', uuid4())}"}
        )
        forged = await client.http.get("/metrics", headers={"Authorization": "Bearer nonsense"})
        staff = await client.http.get(
            "/metrics", headers={"Authorization": f"Bearer {token('staff')}"}
        )
    assert (anonymous.status_code, customer.status_code, forged.status_code) == (401, 403, 401)
    assert staff.status_code == 200
    assert "storefront_graphql_requests_total" in staff.text


async def test_requests_by_operation_name_type_and_outcome(
    database_url: str, db: Database, recorder: StatementRecorder
) -> None:
    await shop(db)
    async with staff_client(database_url, recorder, metrics="open") as client:
        for _ in range(PROMOTE_AFTER + 2):
            await client.data(Q2)
        await client.data("{ products(first: 1) { nodes { name } } }")
        broken = await client.query("{ products(first: 1) {")
        assert broken["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        bad_page = await client.query("query Page { products(first: -1) { nodes { name } } }")
        assert bad_page["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        figures = await scrape(client)
    # A name gets series of its own from its PROMOTE_AFTER-th request on; before, `other`.
    by = {"operation_type": "query", "outcome": "ok"}
    assert figures.value(REQUESTS, operation_name="Orders", **by) == 3
    assert figures.value(REQUESTS, operation_name="other", **by) == PROMOTE_AFTER - 1
    assert figures.value(REQUESTS, operation_name="anonymous", **by) == 1
    assert figures.value(
        REQUESTS, operation_type="unknown", operation_name="unknown", outcome="GRAPHQL_PARSE_FAILED"
    )
    assert figures.value(
        REQUESTS, operation_type="query", operation_name="other", outcome="BAD_USER_INPUT"
    )
    duration = "storefront_graphql_request_duration_seconds_count"
    assert figures.value(duration, operation_type="query", operation_name="Orders") == 3
    # Phases: parse and validate ran once per distinct document, the others every time.
    assert figures.total(PHASES, phase="parse") == 4
    # Every document that parsed is validated with its variables, cached or not.
    assert figures.total(PHASES, phase="validate") == PROMOTE_AFTER + 2 + 2
    assert figures.value(PHASES, phase="execute", engine="compiled") == PROMOTE_AFTER + 3
    assert figures.value(PHASES, phase="serialise", engine="compiled") == PROMOTE_AFTER + 3
    # The bad page size: the compiled run gave up and graphql-core told the error.
    assert figures.value(PHASES, phase="execute", engine="graphql-core") == 1


async def test_a_union_error_counts_by_its_code_and_the_response_is_untouched(
    database_url: str, db: Database, recorder: StatementRecorder
) -> None:
    ids = await shop(db)
    async with staff_client(database_url, recorder, metrics="open") as client:
        short = await client.query(PLACE, {"input": place_input(ids["customer"], ids["b"], 5)})
        placed = await client.query(PLACE, {"input": place_input(ids["customer"], ids["a"], 1)})
        figures = await scrape(client)
    assert short["data"] == {"placeOrder": {}}  # nothing of the error was selected
    assert placed["data"]["placeOrder"]["order"]["number"] > 0
    by = {"operation_type": "mutation", "operation_name": "other"}
    assert figures.value(REQUESTS, outcome="INSUFFICIENT_STOCK", **by) == 1
    assert figures.value(REQUESTS, outcome="ok", **by) == 1
    assert figures.value(PHASES, phase="execute", engine="compiled") == 2  # mutations too


async def test_statements_per_request_agree_with_the_pool_and_a_scrape_runs_none(
    database_url: str, db: Database, recorder: StatementRecorder
) -> None:
    await shop(db)
    async with staff_client(database_url, recorder, metrics="open") as client:
        await client.data(Q2)
        await client.data(Q2)
        ran = len(recorder.statements)
        recorder.clear()
        figures = await scrape(client)
        assert recorder.statements == []  # the scrape itself asks the database nothing
    per_request = "storefront_db_statements_per_request"
    assert figures.value(per_request + "_count", operation_type="query") == 2
    assert figures.value(per_request + "_sum", operation_type="query") == ran
    assert figures.value("storefront_db_statement_duration_seconds_count") == ran
    assert figures.value("storefront_db_pool_connections_max") == 5
    assert figures.value("storefront_db_pool_acquisitions_total") >= ran
    assert figures.value("storefront_metrics_processes") == 1


async def test_admission_refusals_timeouts_and_running(
    database_url: str, db: Database, recorder: StatementRecorder
) -> None:
    """One execution waits on a row lock this test holds: a second is refused with 503
    while it runs, and the first is stopped at the request timeout."""
    ids = await shop(db)
    product = place_input(ids["customer"], ids["a"], 1)["lines"][0]["productId"]
    settings = {"max_concurrent_requests": 1, "request_timeout": 1.0, "lock_timeout_ms": 5000}
    async with (
        staff_client(database_url, recorder, metrics="open", **settings) as client,
        db.acquire() as holder,
        holder.transaction(),
    ):
        await holder.execute("SELECT 1 FROM products WHERE id = $1 FOR UPDATE", ids["a"])
        blocked = asyncio.create_task(
            client.post({"query": UPDATE, "variables": {"id": product, "rev": 1}})
        )
        while (await scrape(client)).value("storefront_admission_running") < 1:  # noqa: ASYNC110 (the scrape is what is watched)
            await asyncio.sleep(0.02)
        refused = await client.post({"query": Q2})
        stopped = await blocked
        figures = await scrape(client)
    assert (refused.status_code, stopped.status_code) == (503, 504)
    assert figures.value("storefront_admission_refused_total") == 1
    assert figures.value("storefront_admission_timeouts_total") == 1
    assert figures.value("storefront_admission_running") == 0
    assert figures.total(REQUESTS, operation_type="mutation", outcome="TIMEOUT") == 1
    assert figures.total(REQUESTS, operation_type="query", outcome="SERVICE_UNAVAILABLE") == 1
    assert figures.total("storefront_db_statement_errors_total") >= 1  # the cancelled UPDATE


async def test_port_mode_serves_metrics_on_their_own_address_only(
    database_url: str, db: Database, recorder: StatementRecorder
) -> None:
    port = free_port()
    bind = f"127.0.0.1:{port}"
    async with staff_client(database_url, recorder, metrics="port", metrics_bind=bind) as client:
        await client.data("{ products(first: 1) { nodes { name } } }")
        assert (await client.http.get("/metrics")).status_code == 404  # not on the API
        async with httpx.AsyncClient(base_url=f"http://{bind}") as scraper:
            response = await scraper.get("/metrics")  # no token: the network decides
            elsewhere = await scraper.get("/graphql")
            posted = await scraper.post("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    figures = Scrape(response.text)
    assert figures.total(REQUESTS, operation_type="query", operation_name="anonymous") == 1
    assert (elsewhere.status_code, posted.status_code) == (404, 405)
    with pytest.raises(httpx.ConnectError):  # closed with the app
        async with httpx.AsyncClient() as late:
            await late.get(f"http://{bind}/metrics")


def test_the_metrics_bind_is_a_host_and_port() -> None:
    assert parse_bind("0.0.0.0:9464") == ("0.0.0.0", 9464)
    assert parse_bind("[::1]:9464") == ("::1", 9464)
    for wrong in ("9464", "host:", "host:port", "host:70000"):
        with pytest.raises(ValueError, match="host:port"):
            parse_bind(wrong)
