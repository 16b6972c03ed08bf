"""Unexpected faults reach clients masked, with the request id; the log keeps the stack."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from sql.spec import Spec
from tests.api.conftest import GraphQLClient


async def test_a_database_fault_is_masked_and_logged(
    client: GraphQLClient,
    db: object,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise asyncpg.exceptions.UndefinedTableError('relation "secret_table" does not exist')

    monkeypatch.setattr(Spec, "live_by", broken)
    with caplog.at_level(logging.ERROR, logger="storefront.errors"):
        response = await client.post(
            {"query": '{ productBySku(sku: "X") { id } }'}, **{"X-Request-ID": "fault-1"}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"productBySku": None}
    [error] = body["errors"]
    assert error["message"] == "Unexpected error (request id fault-1)."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "fault-1"}
    assert error["path"] == ["productBySku"]
    assert "secret_table" not in response.text
    assert "asyncpg" not in response.text
    [record] = [r for r in caplog.records if r.name == "storefront.errors"]
    assert "fault-1" in record.getMessage()
    assert record.exc_info is not None
    assert "secret_table" in str(record.exc_info[1])


async def test_nul_characters_in_text_arguments_are_a_client_error(
    client: GraphQLClient, db: object
) -> None:
    body = await client.query(
        "query($n: String!) { categoryByName(name: $n) { id } "
        "products(filter: {name: {eq: $n}}) { totalCount } }",
        {"n": "a\u0000b"},
    )
    assert body["data"] is None or body["data"]["categoryByName"] is None
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"BAD_USER_INPUT"}
    assert all("NUL character" in e["message"] for e in body["errors"])
    assert "0x00" not in str(body)


async def test_numbers_and_times_out_of_range_are_a_client_error(
    client: GraphQLClient, db: object
) -> None:
    for where in (
        '{createdAt: {gt: "0001-01-01T00:00:00+14:00"}}',
        '{price: {gt: "1e-200000"}}',
    ):
        body = await client.query(f"{{ products(filter: {where}) {{ totalCount }} }}")
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (where, error)
        assert "out of range" in error["message"]


async def test_a_null_variable_where_an_argument_takes_none_is_a_client_error(
    client: GraphQLClient, db: object
) -> None:
    """A variable with a default may stand for a non-null argument; sent as null, the
    argument refuses it while executing. That is the client's input, not a fault."""
    body = await client.query(
        'query($id: ID = "UHJvZHVjdDox") { product(id: $id) { name } }', {"id": None}
    )
    assert body["data"] == {"product": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["path"] == ["product"]
    assert "'id'" in error["message"]
    assert "'$id'" in error["message"]
