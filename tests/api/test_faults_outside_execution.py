"""Faults outside execution, through the app: one raised while the request is read or while
its context is built is answered masked (500, only the request id), and an unavailable
database escaping that way still answers as retryable (503 with Retry-After)."""

from __future__ import annotations

import pytest

import engine.http
import resolvers.context
from tests.api.failing import COUNT, app_client, assert_no_leak, only_error


async def test_a_fault_while_building_the_context_is_masked(
    database_url: str, db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM vault at db.internal:5432")

    # Loaders are made when first used, so the fault goes where the context is built.
    monkeypatch.setattr(resolvers.context.RequestContext, "__post_init__", broken)
    async with app_client(database_url) as http:
        response = await http.post(
            "/graphql", json={"query": COUNT}, headers={"X-Request-ID": "ctx-1"}
        )
    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {
                "message": "Unexpected error (request id ctx-1).",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "ctx-1"},
            }
        ]
    }
    assert "vault" not in response.text
    assert_no_leak(response)


async def test_a_fault_while_reading_the_request_is_masked(
    database_url: str, db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise KeyError("SELECT password FROM pg_shadow")

    monkeypatch.setattr(engine.http, "read_params", broken)
    async with app_client(database_url) as http:
        response = await http.post("/graphql", json={"query": COUNT})
    assert response.status_code == 500
    assert only_error(response)["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert response.headers["x-request-id"] in response.text
    assert_no_leak(response)


async def test_an_unavailable_database_escaping_execution_is_still_retryable(
    database_url: str, db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('10.0.0.7', 5432)")

    # Raised where the context is built (its loaders are made when first used).
    monkeypatch.setattr(resolvers.context.RequestContext, "__post_init__", refused)
    async with app_client(database_url) as http:
        response = await http.post("/graphql", json={"query": COUNT})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    error = only_error(response)
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["retryable"] is True
    assert "10.0.0.7" not in response.text
    assert_no_leak(response)
