"""Every response carries a request id, and the access log line names it."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import GraphQLClient


async def test_a_sensible_client_request_id_is_echoed(
    client: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="storefront.access"):
        response = await client.post(
            {"query": "query Named { products(first: 1) { totalCount } }"},
            **{"X-Request-ID": "checkout-42.a"},
        )
    assert response.headers["x-request-id"] == "checkout-42.a"
    [line] = [r for r in caplog.records if r.name == "storefront.access"]
    assert line.__dict__["request_id"] == "checkout-42.a"
    assert line.__dict__["operation"] == "Named"
    assert line.__dict__["status"] == 200
    assert line.__dict__["method"] == "POST"
    assert line.__dict__["duration_ms"] >= 0


async def test_missing_or_unsafe_request_ids_are_replaced(client: GraphQLClient) -> None:
    plain = await client.post({"query": "{ __typename }"})
    hostile = await client.post({"query": "{ __typename }"}, **{"X-Request-ID": "a b\tc" * 50})
    for response in (plain, hostile):
        generated = response.headers["x-request-id"]
        assert len(generated) == 32
        assert all(c in "0123456789abcdef" for c in generated)
    assert plain.headers["x-request-id"] != hostile.headers["x-request-id"]
