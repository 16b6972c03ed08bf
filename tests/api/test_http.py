"""The GraphQL-over-HTTP protocol at /graphql, in process: statuses, media types, bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from engine.http_params import MAX_BODY_BYTES
from tests.api.conftest import GraphQLClient

GQL = "application/graphql-response+json"
JSON = "application/json"
BOTH = pytest.mark.parametrize("accept", [GQL, JSON])
# What must never reach a client: stacks, interpreter or library internals, SQL.
LEAKS = (
    "Traceback",
    'File "',
    "Error(",
    "orjson",
    "asyncpg",
    "starlette",
    "SELECT ",
    "line 1 column",
)


def expect(response: httpx.Response, status: int, media_type: str = JSON) -> dict[str, Any]:
    """The JSON body, after checking the status, the content type and the error shape.

    `extensions` is taken out: a request that ran carries its cost estimate there, which
    tests/api/test_limits.py checks."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    for leak in LEAKS:
        assert leak not in response.text
    body: dict[str, Any] = orjson.loads(response.content)
    for error in body.get("errors", []):
        assert isinstance(error["message"], str)
        assert error["extensions"]["code"], error
    extensions = body.pop("extensions", {})
    if "data" in body:
        assert "cost" in extensions, extensions
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


def failure_status(accept: str) -> int:
    """A request that never reaches execution: 400 in the new media type, 200 in the old."""
    return 400 if accept == GQL else 200


def refused(response: httpx.Response, status: int, accept: str = JSON) -> list[dict[str, Any]]:
    """The errors of a request that was not executed."""
    body = expect(response, status, accept)
    assert "data" not in body
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def refused_with(
    response: httpx.Response, accept: str, code: str, status: int | None = None
) -> dict[str, Any]:
    """The one error, of this code, of a request that was not executed (at the failure status
    for `accept` unless another is given)."""
    [error] = refused(response, failure_status(accept) if status is None else status, accept)
    assert error["extensions"]["code"] == code, error
    return error


async def post_raw(
    client: GraphQLClient, content: bytes, *, content_type: str = JSON, accept: str = JSON
) -> httpx.Response:
    return await client.http.post(
        "/graphql", content=content, headers={"content-type": content_type, "accept": accept}
    )


# Media types and Accept


@BOTH
async def test_post_query_answers_in_the_accepted_media_type(
    client: GraphQLClient, accept: str
) -> None:
    response = await client.post({"query": "{ __typename }"}, accept=accept)
    assert expect(response, 200, accept) == {"data": {"__typename": "Query"}}
    assert response.headers["vary"] == "Accept"


async def test_no_accept_header_means_application_json(client: GraphQLClient) -> None:
    response = await post_raw(client, b'{"query": "{ __typename }"}', accept="")
    assert expect(response, 200, JSON) == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("*/*", JSON),
        ("application/*", JSON),
        (f"{GQL}, {JSON}", GQL),
        (f"{JSON}, {GQL}", JSON),
        (f"{JSON};q=0.5, {GQL}", GQL),
        (f"{GQL};q=0.4, {JSON};q=0.9", JSON),
        (f"{GQL}, */*;q=0.8", GQL),
        (f"*/*, {JSON};q=0", GQL),
        ("text/html;q=0.9, */*;q=0.1", JSON),
        (f"{JSON}; charset=utf-8", JSON),
    ],
)
async def test_accept_negotiation(client: GraphQLClient, accept: str, chosen: str) -> None:
    response = await client.post({"query": "{ __typename }"}, accept=accept)
    assert expect(response, 200, chosen) == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", ["text/plain", "application/xml, text/*", f"{JSON};q=0"])
async def test_accept_with_neither_type_is_406(client: GraphQLClient, accept: str) -> None:
    body = expect(await client.post({"query": "{ __typename }"}, accept=accept), 406, JSON)
    assert codes(body) == ["BAD_REQUEST"]
    assert "Accept" in body["errors"][0]["message"]
    assert "data" not in body


# Request errors: parse, validation, variables, operation selection


@BOTH
async def test_parse_error(client: GraphQLClient, accept: str) -> None:
    response = await client.post({"query": "{ products("}, accept=accept)
    error = refused_with(response, accept, "GRAPHQL_PARSE_FAILED")
    assert error["message"].startswith("Syntax Error")
    assert error["locations"] == [{"line": 1, "column": 12}]


@BOTH
async def test_validation_error(client: GraphQLClient, accept: str) -> None:
    response = await client.post({"query": "{ noSuchField }"}, accept=accept)
    error = refused_with(response, accept, "GRAPHQL_VALIDATION_FAILED")
    assert "noSuchField" in error["message"]


@BOTH
@pytest.mark.parametrize("variables", [{}, {"sku": None}, {"sku": 5}, {"sku": ["a"]}])
async def test_variable_coercion_error(
    client: GraphQLClient, accept: str, variables: dict[str, Any]
) -> None:
    query = "query($sku: String!) { productBySku(sku: $sku) { name } }"
    response = await client.post({"query": query, "variables": variables}, accept=accept)
    error = refused_with(response, accept, "BAD_USER_INPUT")
    assert "$sku" in error["message"]


@BOTH
async def test_operation_name_selects_among_several_operations(
    client: GraphQLClient, accept: str
) -> None:
    query = "query A { a: __typename } query B { b: __typename }"
    for name, data in (("A", {"a": "Query"}), ("B", {"b": "Query"})):
        response = await client.post({"query": query, "operationName": name}, accept=accept)
        assert expect(response, 200, accept) == {"data": data}


@BOTH
@pytest.mark.parametrize(
    ("operation_name", "message"),
    [(None, "name one with operationName"), ("C", "no operation named 'C'")],
)
async def test_operation_selection_errors(
    client: GraphQLClient, accept: str, operation_name: str | None, message: str
) -> None:
    query = "query A { a: __typename } query B { b: __typename }"
    response = await client.post({"query": query, "operationName": operation_name}, accept=accept)
    error = refused_with(response, accept, "BAD_USER_INPUT")
    assert message in error["message"]


@BOTH
async def test_subscriptions_are_not_executed_over_http(client: GraphQLClient, accept: str) -> None:
    response = await client.post({"query": "subscription { __typename }"}, accept=accept)
    body = expect(response, failure_status(accept), accept)
    assert "data" not in body
    # A validation error while the schema has no Subscription type; refused once it has one.
    assert codes(body) in (["GRAPHQL_VALIDATION_FAILED"], ["BAD_REQUEST"])


@BOTH
async def test_null_and_map_parameters_are_accepted(client: GraphQLClient, accept: str) -> None:
    for extra in (
        {"variables": None, "operationName": None, "extensions": None},
        {"variables": {}, "extensions": {"some": "value"}},
    ):
        response = await client.post({"query": "{ __typename }", **extra}, accept=accept)
        assert expect(response, 200, accept) == {"data": {"__typename": "Query"}}


# Refused requests: the body and its parameters


@BOTH
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{ "not a JSON', "the request body is not valid JSON"),
        (b'{"query": "{ __typename }"', "the request body is not valid JSON"),
        (b'{"query": NaN}', "the request body is not valid JSON"),
        (b'{"query": "{ __typename \xff }"}', "the request body is not valid UTF-8"),
        (b"\xfe\xff\x00{\x00}", "the request body is not valid UTF-8"),
        (b"[" * 10_000 + b"]" * 10_000, "the request body is nested too deeply"),
        (
            b'{"query": "{ __typename }", "variables": '
            + b'{"a": ' * 10_000
            + b"1"
            + b"}" * 10_001,
            "the request body is nested too deeply",
        ),
        (b"", "the request body is empty"),
        (b'[{"query": "{ __typename }"}]', "must be a JSON object"),
        (b'"{ __typename }"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
    ],
)
async def test_unreadable_bodies_are_400(
    client: GraphQLClient, accept: str, content: bytes, message: str
) -> None:
    error = refused_with(await post_raw(client, content, accept=accept), accept, "BAD_REQUEST", 400)
    assert message in error["message"]


@BOTH
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "`query` is required"),
        ({"notquery": "{ __typename }"}, "`query` is required"),
        ({"query": ""}, "`query` is required"),
        ({"query": None}, "`query` is required"),
        ({"query": 0}, "`query` is required"),
        ({"query": {"obj": "ect"}}, "`query` is required"),
        ({"query": ["{ __typename }"]}, "`query` is required"),
        ({"query": "{ __typename }", "operationName": 0}, "`operationName` must be"),
        ({"query": "{ __typename }", "operationName": False}, "`operationName` must be"),
        ({"query": "{ __typename }", "operationName": ["A"]}, "`operationName` must be"),
        ({"query": "{ __typename }", "variables": "{}"}, "`variables` must be"),
        ({"query": "{ __typename }", "variables": 0}, "`variables` must be"),
        ({"query": "{ __typename }", "variables": [{}]}, "`variables` must be"),
        ({"query": "{ __typename }", "extensions": "x"}, "`extensions` must be"),
        ({"query": "{ __typename }", "extensions": False}, "`extensions` must be"),
    ],
)
async def test_malformed_parameters_are_400(
    client: GraphQLClient, accept: str, payload: dict[str, Any], message: str
) -> None:
    error = refused_with(await client.post(payload, accept=accept), accept, "BAD_REQUEST", 400)
    assert message in error["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/graphql",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonx",
    ],
)
async def test_unsupported_content_type_is_415(
    client: GraphQLClient, content_type: str | None
) -> None:
    headers = {"accept": GQL}
    if content_type is not None:
        headers["content-type"] = content_type
    response = await client.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers=headers
    )
    body = expect(response, 415, GQL)
    assert codes(body) == ["BAD_REQUEST"]
    assert JSON in body["errors"][0]["message"] or "UTF-8" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", 'Application/JSON; Charset="UTF-8"']
)
async def test_json_content_type_with_utf8_charset(
    client: GraphQLClient, content_type: str
) -> None:
    query = '{ __type(name: "Run🏃Swim🏊") { name } }'
    content = orjson.dumps({"query": query})
    response = await post_raw(client, content, content_type=content_type)
    assert expect(response, 200, JSON) == {"data": {"__type": None}}


async def test_a_body_of_exactly_the_limit_is_read(client: GraphQLClient) -> None:
    payload = b'{"query": "{ __typename }"}'
    content = payload + b" " * (MAX_BODY_BYTES - len(payload))
    response = await post_raw(client, content)
    assert expect(response, 200, JSON) == {"data": {"__typename": "Query"}}


@BOTH
async def test_body_over_the_limit_with_content_length_is_413(
    client: GraphQLClient, accept: str
) -> None:
    payload = b'{"query": "{ __typename }"}'
    content = payload + b" " * (MAX_BODY_BYTES + 1 - len(payload))
    response = await post_raw(client, content, accept=accept)
    assert response.request.headers["content-length"] == str(MAX_BODY_BYTES + 1)
    body = expect(response, 413, accept)
    assert codes(body) == ["PAYLOAD_TOO_LARGE"]
    assert str(MAX_BODY_BYTES) in body["errors"][0]["message"]


async def test_chunked_body_over_the_limit_is_413(client: GraphQLClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "x": "'
        for _ in range(20):
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = await client.http.post(
        "/graphql", content=chunks(), headers={"content-type": JSON, "accept": GQL}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    body = expect(response, 413, GQL)
    assert codes(body) == ["PAYLOAD_TOO_LARGE"]


async def test_a_body_sent_in_pieces_is_read_whole(client: GraphQLClient) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield b'{"query": "query Pieces { __typ'
        yield b""
        yield b'ename }", "operationName": "Pie'
        yield b'ces"}'

    response = await client.http.post(
        "/graphql", content=pieces(), headers={"content-type": JSON, "accept": GQL}
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert expect(response, 200, GQL)["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_405(client: GraphQLClient, method: str) -> None:
    response = await client.http.request(
        method, "/graphql", json={"query": "{ __typename }"}, headers={"accept": JSON}
    )
    body = expect(response, 405, JSON)
    assert response.headers["allow"] == "GET, POST"
    assert codes(body) == ["BAD_REQUEST"]


# GET


@BOTH
async def test_get_runs_a_query_with_variables_and_operation_name(
    client: GraphQLClient, accept: str
) -> None:
    params = {
        "query": "query Other { __typename } query Type($name: String!) { __type(name: $name) "
        "{ name kind } }",
        "variables": orjson.dumps({"name": "Product"}).decode(),
        "operationName": "Type",
    }
    response = await client.http.get("/graphql", params=params, headers={"accept": accept})
    assert expect(response, 200, accept) == {
        "data": {"__type": {"name": "Product", "kind": "OBJECT"}}
    }
    assert response.headers["vary"] == "Accept"


async def test_get_with_empty_optional_parameters(client: GraphQLClient) -> None:
    params = {"query": "{ __typename }", "variables": "", "operationName": "", "extensions": ""}
    response = await client.http.get("/graphql", params=params)
    assert expect(response, 200, JSON) == {"data": {"__typename": "Query"}}


@BOTH
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "`query` is required"),
        ({"query": "{ __typename }", "variables": "{nope"}, "`variables` parameter is not valid"),
        ({"query": "{ __typename }", "variables": "[1]"}, "`variables` must be"),
        ({"query": "{ __typename }", "extensions": "1"}, "`extensions` must be"),
    ],
)
async def test_get_with_malformed_parameters_is_400(
    client: GraphQLClient, accept: str, params: dict[str, str], message: str
) -> None:
    response = await client.http.get("/graphql", params=params, headers={"accept": accept})
    body = expect(response, 400, accept)
    assert codes(body) == ["BAD_REQUEST"]
    assert message in body["errors"][0]["message"]


@BOTH
@pytest.mark.parametrize(
    ("query", "operation_name"),
    [
        ("mutation { __typename }", None),
        ("mutation M { noSuchField }", None),
        ("query Q { __typename } mutation M { __typename }", "M"),
        ("subscription { __typename }", None),
    ],
)
async def test_get_refuses_everything_but_queries_with_405(
    client: GraphQLClient, accept: str, query: str, operation_name: str | None
) -> None:
    # Decided from the document alone, before validation: holds with or without a Mutation
    # type in the schema.
    params = {"query": query, **({"operationName": operation_name} if operation_name else {})}
    response = await client.http.get("/graphql", params=params, headers={"accept": accept})
    error = refused_with(response, accept, "BAD_REQUEST", 405)
    assert response.headers["allow"] == "POST"
    assert "GET runs queries only" in error["message"]


@BOTH
async def test_get_selecting_the_query_of_a_mixed_document_runs_it(
    client: GraphQLClient, accept: str
) -> None:
    params = {"query": "query Q { __typename } mutation M { __typename }", "operationName": "Q"}
    response = await client.http.get("/graphql", params=params, headers={"accept": accept})
    body = expect(response, response.status_code, accept)
    if "data" in body:
        assert (response.status_code, body) == (200, {"data": {"__typename": "Query"}})
    else:  # while the schema has no Mutation type, the document does not validate
        assert response.status_code == failure_status(accept)
        assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


# Nothing internal ever leaks


@pytest.mark.parametrize(
    ("method", "url", "content", "content_type"),
    [
        ("POST", "/graphql", b'{"query": "{ __typename }", "variables": {"a": 1e999}}', JSON),
        (
            "POST",
            "/graphql",
            b'{"query": "{ __typename }", "variables": 99999999999999999999999}',
            JSON,
        ),
        ("POST", "/graphql", b"\xef\xbb\xbf{}", JSON),
        ("POST", "/graphql", b'{"query": "\\ud800"}', JSON),
        ("POST", "/graphql", b'{"query": "{ a' + b" a" * 20_000 + b' }"}', JSON),
        ("POST", "/graphql", b'{"query": "' + b"{ a " * 3000 + b"}" * 3000 + b'"}', JSON),
        ("GET", "/graphql?query=%ff%fe", None, None),
        ("GET", "/graphql?query={__typename}&variables=%ff", None, None),
        (
            "POST",
            "/graphql",
            b'{"query": "query($n: Int) { products(first: $n) { totalCount } }", '
            b'"variables": {"n": 1e40}}',
            JSON,
        ),
    ],
)
async def test_hostile_requests_get_clean_client_errors(
    client: GraphQLClient, method: str, url: str, content: bytes | None, content_type: str | None
) -> None:
    headers = {"accept": GQL, **({"content-type": content_type} if content_type else {})}
    response = await client.http.request(method, url, content=content, headers=headers)
    body = expect(response, 400, GQL)
    assert "data" not in body
    assert codes(body)


@BOTH
@pytest.mark.parametrize(
    "query",
    [
        '{ products(after: "not a cursor") { totalCount } }',
        "{ products(first: -1) { totalCount } }",
        "{ products(first: 100000) { totalCount } }",
        "{ products(first: 1, last: 1) { totalCount } }",
    ],
)
async def test_client_mistakes_found_while_executing_are_200_with_errors(
    client: GraphQLClient, accept: str, query: str
) -> None:
    # Execution started, so the status is 200 in both media types (with `data`, even null).
    body = expect(await client.post({"query": query}, accept=accept), 200, accept)
    assert "data" in body
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == ["products"]
