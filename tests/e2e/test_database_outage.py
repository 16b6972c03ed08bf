"""The database goes away under a real server process, then comes back.

The test owns an embedded PostgreSQL and stops it (fast shutdown: every session ends) while
`storefront serve` runs against it. Requests must fail fast with a retryable error,
`/readyz` must say 503 while `/healthz` stays 200, and once PostgreSQL is back (on the same
port) service must resume by itself, without a restart of the server.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.embedded import EmbeddedPostgres
from tests.conftest import TEST_SECRET, token
from tests.e2e.conftest import RunningServer, storefront_serve

pytestmark = pytest.mark.e2e

READ = "{ products(first: 1) { totalCount } }"
WRITE = 'mutation { createCategory(input: {name: "Lamps"}) { __typename } }'
FAIL_WITHIN = 2.0
RECOVER_WITHIN = 5.0


def post(server: RunningServer, query: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(server.graphql_url, json={"query": query}, timeout=30)
    return response, time.monotonic() - started


def assert_retryable_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["errors"], body
    for error in body["errors"]:
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
        assert error["extensions"]["retryable"] is True
    for leak in ("asyncpg", "Traceback", "127.0.0.1", "Connect call", "SELECT", "postgres"):
        assert leak not in response.text, (leak, response.text)


def test_requests_fail_fast_while_the_database_is_down_and_recover(tmp_path: Path) -> None:
    embedded = EmbeddedPostgres(tmp_path / "pg", durable=False)
    url = embedded.start()
    try:
        with storefront_serve(
            tmp_path,
            database_url=url,
            extra_env={"STOREFRONT_SEED_DEMO": "false", "STOREFRONT_JWT_SECRET": TEST_SECRET},
        ) as server:
            headers = {"Authorization": f"Bearer {token('staff')}"}
            ok, _ = post(server, READ)
            assert ok.json()["data"] == {"products": {"totalCount": 0}}

            embedded.stop()
            read, read_took = post(server, READ)
            assert_retryable_unavailable(read)
            started = time.monotonic()
            write = httpx.post(
                server.graphql_url, json={"query": WRITE}, headers=headers, timeout=30
            )
            write_took = time.monotonic() - started
            assert_retryable_unavailable(write)
            assert read_took < FAIL_WITHIN
            assert write_took < FAIL_WITHIN
            ready = httpx.get(server.base_url + "/readyz", timeout=30)
            assert ready.status_code == 503
            assert ready.json()["database"] == "unreachable"
            assert httpx.get(server.base_url + "/healthz", timeout=30).status_code == 200

            embedded.start()
            back = time.monotonic()
            failures = 0
            while True:
                response, _ = post(server, READ)
                if "errors" not in response.json():
                    break
                failures += 1
                assert time.monotonic() - back < RECOVER_WITHIN, response.text
                time.sleep(0.05)
            recovered = time.monotonic() - back
            assert recovered < RECOVER_WITHIN
            # Back for good: no stale pooled connection fails a later request.
            for _ in range(10):
                assert "errors" not in post(server, READ)[0].json()
            created = httpx.post(
                server.graphql_url, json={"query": WRITE}, headers=headers, timeout=30
            )
            assert created.json()["data"] == {
                "createCategory": {"__typename": "CreateCategorySuccess"}
            }
            assert httpx.get(server.base_url + "/readyz", timeout=30).status_code == 200
            print(
                f"down: failed within {max(read_took, write_took):.3f}s; "
                f"back: served after {recovered:.3f}s ({failures} failed first)"
            )
    finally:
        embedded.stop()
