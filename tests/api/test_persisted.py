"""Persisted operations at /graphql: Apollo's APQ protocol and the trusted-only manifest mode."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from engine.http_params import GraphQLParams
from engine.persisted import DocumentUnavailable, Mode, PersistedOperations, sha256_hex
from engine.persisted_manifest import ManifestError
from server.app import create_app
from server.cli import main
from server.settings import PersistedQueries, Settings
from sql.pool import Database
from tests.api.conftest import GraphQLClient, StatementRecorder
from tests.api.test_http import BOTH, GQL, JSON, codes, expect, failure_status, refused
from tests.conftest import token

QUERY = "query Names { categories(first: 5) { nodes { name } } }"
ADD = 'mutation { createCategory(input: {name: "Intruder"}) { __typename } }'
NOT_FOUND = {
    "message": "PersistedQueryNotFound",
    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
}


def apq(digest: Any, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def get(
    client: GraphQLClient, params: dict[str, Any], *, accept: str = JSON
) -> httpx.Response:
    """A GET as Apollo sends one: `extensions` and `variables` JSON-encoded in the URL."""
    encoded = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in params.items()}
    return await client.http.get("/graphql", params=encoded, headers={"accept": accept})


def data(response: httpx.Response, accept: str = JSON) -> Any:
    """`data` of a response that ran without errors (other response keys may come and go)."""
    body = expect(response, 200, accept)
    assert "errors" not in body, body["errors"]
    return body["data"]


@contextlib.asynccontextmanager
async def serving(
    database_url: str, recorder: StatementRecorder | None = None, **settings: Any
) -> AsyncIterator[GraphQLClient]:
    """A client of an app built with the given settings, as the `client` fixture builds one."""
    app = create_app(
        Settings(database_url=database_url, pool_min_size=1, pool_max_size=5, **settings),
        query_logger=recorder,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, bearer=token("staff"))


# Automatic persisted queries (the default mode)


@BOTH
async def test_an_unknown_hash_is_persisted_query_not_found(
    client: GraphQLClient, accept: str
) -> None:
    response = await client.post({"extensions": apq(sha256_hex(QUERY))}, accept=accept)
    assert refused(response, failure_status(accept), accept) == [NOT_FOUND]
    # A shared cache must not keep answering the miss after the client registers the text.
    assert response.headers["cache-control"] == "private, no-cache, must-revalidate"


@BOTH
async def test_hash_and_query_register_then_the_hash_alone_runs_it(
    client: GraphQLClient, accept: str
) -> None:
    digest = sha256_hex(QUERY)
    expected: dict[str, Any] = {"categories": {"nodes": []}}
    response = await client.post({"query": QUERY, "extensions": apq(digest)}, accept=accept)
    assert data(response, accept) == expected
    response = await client.post({"extensions": apq(digest)}, accept=accept)
    assert data(response, accept) == expected
    response = await get(client, {"extensions": apq(digest)}, accept=accept)
    assert data(response, accept) == expected


async def test_get_registers_and_runs_with_variables_and_operation_name(
    client: GraphQLClient,
) -> None:
    text = (
        "query Sku($sku: String!) { productBySku(sku: $sku) { name } }\nquery Other { __typename }"
    )
    digest = sha256_hex(text)
    missing = await get(client, {"extensions": apq(digest), "operationName": "Other"})
    assert refused(missing, 200) == [NOT_FOUND]
    registered = await get(
        client, {"query": text, "extensions": apq(digest), "operationName": "Other"}
    )
    assert data(registered) == {"__typename": "Query"}
    params = {"extensions": apq(digest), "operationName": "Sku", "variables": {"sku": "NONE"}}
    assert data(await get(client, params)) == {"productBySku": None}


async def test_hash_digits_are_read_in_either_case(client: GraphQLClient) -> None:
    digest = sha256_hex(QUERY)
    await client.post({"query": QUERY, "extensions": apq(digest.upper())})
    assert data(await client.post({"extensions": apq(digest)})) == {"categories": {"nodes": []}}


async def test_a_persisted_mutation_is_still_refused_over_get(client: GraphQLClient) -> None:
    digest = sha256_hex(ADD)
    response = await client.post({"query": ADD, "extensions": apq(digest)})
    assert data(response) == {"createCategory": {"__typename": "CreateCategorySuccess"}}
    response = await get(client, {"extensions": apq(digest)})
    assert codes(expect(response, 405)) == ["BAD_REQUEST"]


@BOTH
async def test_a_hash_that_does_not_match_the_query_is_refused_and_not_stored(
    client: GraphQLClient, accept: str, db: Database
) -> None:
    digest = sha256_hex(QUERY)
    response = await client.post({"query": ADD, "extensions": apq(digest)}, accept=accept)
    [error] = refused(response, 400, accept)
    assert error["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert "SHA-256 of `query`" in error["message"]
    assert await db.fetchval("SELECT count(*) FROM categories") == 0
    response = await client.post({"extensions": apq(digest)}, accept=accept)
    assert refused(response, failure_status(accept), accept) == [NOT_FOUND]


@BOTH
@pytest.mark.parametrize(
    ("extensions", "code", "message"),
    [
        (apq("ab" * 32, version=2), "PERSISTED_QUERY_NOT_SUPPORTED", "the only version supported"),
        (apq("ab" * 32, version=True), "PERSISTED_QUERY_NOT_SUPPORTED", "must be 1"),
        (apq("ab" * 32, version=None), "PERSISTED_QUERY_NOT_SUPPORTED", "must be 1"),
        (apq("ab" * 31), "BAD_REQUEST", "must be a SHA-256 digest in hex"),
        (apq("zz" * 32), "BAD_REQUEST", "must be a SHA-256 digest in hex"),
        (apq(None), "BAD_REQUEST", "must be a SHA-256 digest in hex"),
        ({"persistedQuery": "ab" * 32}, "BAD_REQUEST", "must be an object"),
    ],
)
@pytest.mark.parametrize("with_query", [False, True])
async def test_a_malformed_persisted_query_extension_is_400(
    client: GraphQLClient,
    accept: str,
    extensions: dict[str, Any],
    code: str,
    message: str,
    with_query: bool,
) -> None:
    payload: dict[str, Any] = {"extensions": extensions}
    if with_query:
        payload["query"] = QUERY
    [error] = refused(await client.post(payload, accept=accept), 400, accept)
    assert error["extensions"]["code"] == code
    assert message in error["message"]


async def test_a_query_without_the_extension_is_unaffected(client: GraphQLClient) -> None:
    response = await client.post({"query": "{ __typename }", "extensions": {"other": 1}})
    assert data(response) == {"__typename": "Query"}


async def test_off_answers_a_bare_hash_with_persisted_query_not_supported(
    database_url: str, db: Database
) -> None:
    async with serving(database_url, persisted_queries=PersistedQueries.OFF) as client:
        digest = sha256_hex(QUERY)
        for accept in (JSON, GQL):
            response = await client.post({"extensions": apq(digest)}, accept=accept)
            assert refused(response, failure_status(accept), accept) == [
                {
                    "message": "PersistedQueryNotSupported",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
                }
            ]
        # With the text, the extension is ignored and nothing is remembered.
        response = await client.post({"query": QUERY, "extensions": apq(digest)})
        assert data(response) == {"categories": {"nodes": []}}
        [error] = refused(await client.post({"extensions": apq(digest)}), 200)
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_remembered_documents_are_bounded_least_recently_used_first() -> None:
    store = PersistedOperations(max_documents=2)
    texts = ["{ a: __typename }", "{ b: __typename }", "{ c: __typename }"]
    for text in texts[:2]:
        register(store, text)
    assert known(store, texts[0])  # now the most recently used
    register(store, texts[2])
    assert [known(store, t) for t in texts] == [True, False, True]


def test_remembered_documents_are_bounded_in_characters() -> None:
    store = PersistedOperations(max_chars=100)
    texts = [f"{{ {name}: __typename }}" + " " * 20 for name in "abc"]  # 40 characters each
    for text in texts:
        register(store, text)
    assert [known(store, t) for t in texts] == [False, True, True]
    huge = "{ __typename }" + " " * 100
    register(store, huge)  # runs, but is not kept: it would push out everything else
    assert [known(store, t) for t in [*texts, huge]] == [False, True, True, False]


def register(store: PersistedOperations, text: str) -> None:
    assert store.resolve(GraphQLParams(text, None, None, apq(sha256_hex(text)))).query == text


def known(store: PersistedOperations, text: str) -> bool:
    try:
        store.resolve(GraphQLParams("", None, None, apq(sha256_hex(text))))
    except DocumentUnavailable:
        return False
    return True


# Trusted-only: the manifest's operations and nothing else

OPERATIONS = """
query CategoryNames { categories(first: 10) { nodes { ...Named } } }
mutation AddCategory($name: String!) { createCategory(input: {name: $name}) { __typename } }
"""
FRAGMENTS = "fragment Named on Category { name }\n"


@pytest.fixture
def manifest(tmp_path: Path) -> dict[str, Any]:
    """A manifest written by `storefront persist`, with its path under `path`."""
    (tmp_path / "operations.graphql").write_text(OPERATIONS)
    (tmp_path / "fragments.graphql").write_text(FRAGMENTS)
    output = tmp_path / "persisted-operations.json"
    files = [str(tmp_path / "operations.graphql"), str(tmp_path / "fragments.graphql")]
    assert main(["persist", *files, "--output", str(output)]) == 0
    written: dict[str, Any] = orjson.loads(output.read_bytes())
    by_name = {op["name"]: op for op in written["operations"]}
    return {"path": output, **by_name}


@contextlib.asynccontextmanager
async def trusted(
    database_url: str, manifest: dict[str, Any], recorder: StatementRecorder | None = None
) -> AsyncIterator[GraphQLClient]:
    async with serving(
        database_url,
        recorder,
        persisted_queries=PersistedQueries.TRUSTED_ONLY,
        persisted_queries_manifest=manifest["path"],
    ) as client:
        yield client


async def test_trusted_only_runs_manifest_operations_by_hash_and_by_text(
    database_url: str, db: Database, manifest: dict[str, Any]
) -> None:
    names, add = manifest["CategoryNames"], manifest["AddCategory"]
    async with trusted(database_url, manifest) as client:
        response = await client.post({"extensions": apq(add["id"]), "variables": {"name": "Lamps"}})
        assert data(response) == {"createCategory": {"__typename": "CreateCategorySuccess"}}
        lamps = {"categories": {"nodes": [{"name": "Lamps"}]}}
        assert data(await client.post({"extensions": apq(names["id"])})) == lamps
        assert data(await get(client, {"extensions": apq(names["id"])})) == lamps
        assert data(await client.post({"query": names["body"]})) == lamps
        response = await client.post({"query": names["body"], "extensions": apq(names["id"])})
        assert data(response) == lamps


@BOTH
@pytest.mark.parametrize("sent", ["other", "register", "reformatted", "introspection"])
async def test_trusted_only_refuses_any_other_document_without_running_it(
    database_url: str, db: Database, manifest: dict[str, Any], accept: str, sent: str
) -> None:
    text = {
        "other": ADD,
        "register": ADD,
        # The manifest's mutation, but not its exact text.
        "reformatted": manifest["AddCategory"]["body"] + "\n",
        "introspection": "{ __schema { types { name } } }",
    }[sent]
    payload: dict[str, Any] = {"query": text, "variables": {"name": "Intruder"}}
    if sent == "register":
        payload["extensions"] = apq(sha256_hex(text))
    recorder = StatementRecorder()
    async with trusted(database_url, manifest, recorder) as client:
        recorder.clear()
        [error] = refused(await client.post(payload, accept=accept), 403, accept)
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        assert "manifest" in error["message"]
        assert recorder.statements == []
        # Nothing was registered either.
        response = await client.post({"extensions": apq(sha256_hex(text))}, accept=accept)
        assert refused(response, failure_status(accept), accept) == [NOT_FOUND]
    assert await db.fetchval("SELECT count(*) FROM categories") == 0


async def test_trusted_only_refuses_a_manifest_hash_with_another_text(
    database_url: str, db: Database, manifest: dict[str, Any]
) -> None:
    async with trusted(database_url, manifest) as client:
        response = await client.post(
            {"query": ADD, "extensions": apq(manifest["AddCategory"]["id"])}
        )
        assert codes({"errors": refused(response, 400)}) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert await db.fetchval("SELECT count(*) FROM categories") == 0


async def test_apq_mode_knows_the_manifest_operations_from_the_start(
    database_url: str, db: Database, manifest: dict[str, Any]
) -> None:
    async with serving(database_url, persisted_queries_manifest=manifest["path"]) as client:
        response = await client.post({"extensions": apq(manifest["CategoryNames"]["id"])})
        assert data(response) == {"categories": {"nodes": []}}
        response = await client.post({"query": QUERY})  # anything else still runs
        assert data(response) == {"categories": {"nodes": []}}


# Start-up


def startup_settings(**settings: Any) -> Settings:
    return Settings(database_url="postgresql://nobody@127.0.0.1:1/none", **settings)


def test_trusted_only_without_a_manifest_does_not_start() -> None:
    with pytest.raises(ManifestError, match="STOREFRONT_PERSISTED_QUERIES_MANIFEST"):
        create_app(startup_settings(persisted_queries=PersistedQueries.TRUSTED_ONLY))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the persisted-operation manifest"),
        (b"{not json", "is not JSON"),
        (b'{"operations": []}', "is not a persisted-operation manifest"),
        (
            b'{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}',
            "is not a persisted-operation manifest",
        ),
        (
            b'{"format": "apollo-persisted-query-manifest", "version": 1, "operations": '
            b'[{"id": "00", "name": "A", "type": "query", "body": "query A { __typename }"}]}',
            "operation 0 needs a `body` and an `id` that is its SHA-256",
        ),
        (
            b'{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [7]}',
            "operation 0 needs a `body`",
        ),
    ],
)
@pytest.mark.parametrize("mode", [PersistedQueries.TRUSTED_ONLY, PersistedQueries.APQ])
def test_an_unusable_manifest_stops_the_start(
    tmp_path: Path, content: bytes | None, message: str, mode: PersistedQueries
) -> None:
    path = tmp_path / "persisted-operations.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ManifestError, match=message) as stopped:
        create_app(startup_settings(persisted_queries=mode, persisted_queries_manifest=path))
    assert str(path) in str(stopped.value)


def test_the_mode_names_match_the_settings() -> None:
    assert [m.value for m in Mode] == [m.value for m in PersistedQueries]
