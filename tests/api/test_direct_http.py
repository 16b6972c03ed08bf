"""The direct path (`server.direct_http`) answers as the ASGI app does: the same requests,
over real sockets, to a server with it and one without, get the same bytes back (but for
`date` and generated request ids) and leave the same access lines, slow-log lines (what
the observer saw: outcome, operation, engine, statements) and error logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest

import engine.http
import server.http_protocol
from engine.http_params import MAX_BODY_BYTES
from engine.node_ids import to_global_id
from engine.persisted import sha256_hex
from sql.pool import Database
from tests import factories
from tests.api.raw_http import Answer, Served, exchange, read_answer, request, serving
from tests.conftest import lock_waiters

Q1 = """query Q1($id: ID!) { product(id: $id) { id name sku price stock rev } }"""
LIST = "query List { products(first: 3) { totalCount nodes { name category { name } } } }"
UPDATE = """mutation Up($id: ID!, $rev: Int!) { updateProduct(id: $id, rev: $rev,
  patch: {stock: 7}) { __typename ... on UpdateProductSuccess { product { stock rev } }
  ... on ConflictError { currentRev } } }"""
DEEP = "{ products(first: 1) { nodes { category { products(first: 1) { nodes { category {" \
    " products(first: 1) { nodes { category { products(first: 1) { nodes { category {" \
    " products(first: 1) { nodes { name } } } } } } } } } } } } } } }"  # fmt: skip
APQ_QUERY = "query Apq { categories(first: 2) { nodes { name } } }"
APQ = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(APQ_QUERY)}}
LOGGED = ("storefront.access", "storefront.slow", "storefront.errors")
SETTINGS = {"slow_operation_ms": 0.001}  # every operation's observation is logged


@pytest.fixture
async def store(db: Database) -> dict[str, Any]:
    category = await factories.category(db, "Lamps")
    product = await factories.product(db, category, "Desk lamp")
    await factories.product(db, category, "Floor lamp")
    return {"id": to_global_id("Product", product), "product": product}


@contextlib.asynccontextmanager
async def both(database_url: str, **settings: Any) -> AsyncIterator[tuple[Served, Served]]:
    async with (
        serving(database_url, **SETTINGS, **settings) as direct,
        serving(database_url, direct_http=False, **SETTINGS, **settings) as asgi,
    ):
        assert direct.app.direct_posts is not None
        assert asgi.app.direct_posts is None
        yield direct, asgi


def chunked(plain: bytes) -> bytes:
    """A request with its body sent as one chunk and the last."""
    head, _, body = plain.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"


def seen(answers: list[Answer], caplog: pytest.LogCaptureFixture) -> Any:
    """What a client and the logs saw, with what differs between two runs set aside."""
    ids = {a.header(b"x-request-id") for a in answers} - {None}
    visible = []
    for answer in answers:
        body = answer.body
        for request_id in ids:
            assert request_id is not None
            body = body.replace(request_id, b"<id>")
        if b'"readAfter"' in body:  # a WAL position: each write's own
            body = body.split(b'"readAfter"')[0]
        headers = [(k, b"<id>" if v in ids else v) for k, v in answer.headers if k != b"date"]
        visible.append((answer.status, headers, body))
    lines = []
    for record in caplog.records:
        if record.name not in LOGGED:
            continue
        fields = {k: record.__dict__.get(k) for k in ("method", "path", "operation", "status")}
        fields |= {k: record.__dict__.get(k) for k in ("outcome", "operation_type", "engine")}
        fields["request_id"] = "<id>" if record.__dict__.get("request_id") else None
        stack = record.exc_info is not None
        lines.append((record.name, record.getMessage().split(" (")[0], fields, stack))
    return visible, lines


async def same(
    direct: Served,
    asgi: Served,
    caplog: pytest.LogCaptureFixture,
    *writes: bytes,
    answers: int = 1,
    between: Callable[[], Awaitable[None]] | None = None,
) -> list[Answer]:
    """The answers of the server with the direct path, checked equal to the other's."""
    results = []
    for served in (direct, asgi):
        caplog.clear()
        got, closed = await exchange(served.port, *writes, answers=answers)
        results.append((seen(got, caplog), closed, got))
        if between is not None:
            await between()
    assert results[0][:2] == results[1][:2]
    return results[0][2]


async def test_the_same_requests_get_the_same_answers_and_logs(
    database_url: str, store: dict[str, Any], db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    q1 = {"query": Q1, "variables": {"id": store["id"]}}
    rid = {"x-request-id": "req-1"}
    cases: list[tuple[bytes, ...]] = [
        (request(q1, headers=rid),),
        (request(q1),),  # a generated id
        (request(q1, headers={"x-request-id": "a b" * 50}),),  # an unsafe one, replaced
        (request({"query": LIST, "operationName": "List"}, headers=rid),),
        (request({"query": "{ products(first: 1) { nodes { nope } } }"}, headers=rid),),
        (request({"query": "{ products("}, headers=rid),),
        (request({"query": Q1, "variables": {"id": 5}}, headers=rid),),
        (request({"query": Q1}, headers={**rid, "accept": "application/graphql-response+json"}),),
        (request(q1, headers={"accept": "text/html"}),),
        (request(q1, headers={"accept": "application/json, */*;q=0.5"}),),
        (request(raw=b'{"query": ', headers=rid),),
        (request(raw=b"[]", headers=rid),),
        (request(raw=b"", headers=rid),),
        (request(raw=b"\xff\xfe", headers=rid),),
        (request(q1, headers={**rid, "content-type": "text/plain"}),),
        (request(q1, headers={**rid, "content-type": ""}),),
        (request(q1, headers={**rid, "content-type": "application/json; charset=latin-1"}),),
        (request(q1, bearer=None, headers=rid),),
        (request(q1, bearer=None, headers={**rid, "authorization": "Bearer not.a.token"}),),
        (request({"query": "{ customers(first: 1) { nodes { email } } }"}, bearer="customer"),),
        (request({"query": DEEP}, headers=rid),),
        (request({"query": APQ_QUERY, "extensions": APQ}, headers=rid),),
        (request({"extensions": APQ}, headers=rid),),
        (request({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}}),),
        (request(q1, headers={**rid, "x-read-after": "garbage"}),),
        (request({"query": LIST + " " * 300_000}, headers=rid),),  # a large body
        (request(raw=b" " * (MAX_BODY_BYTES + 1), headers=rid),),  # too large
        (request({"query": "mutation { deleteProduct(id: 5) { __typename } }"}),),
        (request(q1, method=b"PUT", headers=rid),),
        (request(method=b"GET", target=b"/graphql?query=%7B__typename%7D", headers=rid),),
        (request(q1, target=b"/graphql?debug=1", headers=rid),),
        (request(q1, target=b"/graphql/", headers=rid),),
        (request(q1, headers={**rid, "x-forwarded-for": "10.1.2.3"}),),
        (request(q1, headers={**rid, "connection": "close"}),),
        (request(q1, version=b"HTTP/1.0", headers=rid),),
        (request(q1, version=b"HTTP/1.0", headers={**rid, "connection": "keep-alive"}),),
    ]
    async with both(database_url) as (direct, asgi):
        for writes in cases:
            await same(direct, asgi, caplog, *writes)
        # A chunked body goes through ASGI, and answers as ever.
        plain = request(q1, headers={"content-length": "", "transfer-encoding": "chunked"})
        await same(direct, asgi, caplog, chunked(plain))
        # A write that succeeds, with the product put back before the other server's turn.
        update = request({"query": UPDATE, "variables": {"id": store["id"], "rev": 1}})

        async def put_back() -> None:
            await db.execute(
                "UPDATE products SET stock = 10, rev = 1 WHERE id = $1", store["product"]
            )

        [written] = await same(direct, asgi, caplog, update, between=put_back)
        assert written.json()["data"]["updateProduct"]["product"] == {"stock": 7, "rev": 2}
        # Kept alive: one request after another on one connection, then pipelined.
        three = [request(q1, headers={"x-request-id": f"k{k}"}) for k in range(3)]
        await same(direct, asgi, caplog, *three, answers=3)
        mixed = [
            three[0],
            request(q1, bearer=None),
            request(method=b"GET", target=b"/healthz"),
            three[2],
        ]
        piped = await same(direct, asgi, caplog, b"".join(mixed), answers=4)
        assert [a.header(b"x-request-id") for a in piped][::3] == [b"k0", b"k2"]  # in order
        await same(
            direct,
            asgi,
            caplog,
            b"".join([*three, request(q1, headers={"connection": "close"})]),
            answers=4,
        )
        answered = direct.app.direct_posts.answered
    assert answered > len(cases) // 2


async def test_the_direct_path_takes_plain_json_posts_and_nothing_else(
    database_url: str, store: dict[str, Any]
) -> None:
    q1 = {"query": Q1, "variables": {"id": store["id"]}}
    taken = [
        request(q1),
        request(q1, headers={"accept": "application/graphql-response+json"}),
        request(q1, headers={"x-forwarded-for": "10.1.2.3", "x-forwarded-proto": "https"}),
        request(q1, version=b"HTTP/1.0"),
        request(raw=b"not json"),  # refused the same way, by the same code
    ]
    not_taken = [
        request(method=b"GET", target=b"/graphql?query=%7B__typename%7D"),
        request(q1, target=b"/graphql?x=1"),
        request(q1, target=b"/graphql/"),
        request(q1, target=b"/GraphQL"),
        request(q1, method=b"PUT"),
        request(q1, headers={"accept": "text/event-stream"}),
        request(q1, headers={"accept": 'multipart/mixed;subscriptionSpec="1.0"'}),
        request(raw=b" " * (MAX_BODY_BYTES + 1)),
        chunked(request(q1, headers={"content-length": "", "transfer-encoding": "chunked"})),
        request(q1, headers={"expect": "100-continue"}),
    ]
    async with serving(database_url) as served:
        posts = served.app.direct_posts
        assert posts is not None
        for k, data in enumerate(taken):
            before = posts.answered
            await exchange(served.port, data, answers=1)
            assert posts.answered == before + 1, k
        for k, data in enumerate(not_taken):
            before = posts.answered
            await answer_or_not(served.port, data)
            assert posts.answered == before, k
    async with serving(database_url, direct_http=False) as served:
        assert served.app.direct_posts is None


async def answer_or_not(port: int, data: bytes) -> None:
    """Sends `data` and reads the answer's head, when one comes (a stream's may not end)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()


async def test_a_fault_on_the_direct_path_is_masked_with_its_request_id(
    database_url: str,
    store: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_args: object) -> None:
        raise KeyError("SELECT password FROM pg_shadow")

    monkeypatch.setattr(engine.http, "read_params", broken)
    caplog.set_level(logging.INFO)
    async with both(database_url) as (direct, asgi):
        taken = direct.app.direct_posts.answered
        [answer] = await same(direct, asgi, caplog, request({"query": "{ __typename }"}))
        assert direct.app.direct_posts.answered == taken + 1
    assert answer.status == b"HTTP/1.1 500 Internal Server Error"
    request_id = answer.header(b"x-request-id")
    assert request_id is not None
    assert request_id in answer.body
    assert b"pg_shadow" not in answer.body
    [logged] = [r for r in caplog.records if r.name == "storefront.errors"]
    assert logged.exc_info is not None
    assert "pg_shadow" in str(logged.exc_info[1])


async def access_lines(caplog: pytest.LogCaptureFixture, count: int) -> None:
    for _ in range(1000):
        if sum(r.name == "storefront.access" for r in caplog.records) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} requests should have been logged")


async def settled(served: Served) -> None:
    """Waits until the server runs no request and the app's pool holds no connection."""
    pool = served.app.state.pool.pool
    for _ in range(1000):
        if not served.server.server_state.tasks and pool.get_idle_size() == pool.get_size():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("a request's task or connection outlived its client")


async def test_a_client_gone_mid_request_leaves_no_task_nor_connection_behind(
    database_url: str, store: dict[str, Any], db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    update = request({"query": UPDATE, "variables": {"id": store["id"], "rev": 1}})
    logs = []
    async with both(database_url, lock_timeout_ms=20_000) as (direct, asgi):
        for served in (direct, asgi):
            caplog.clear()
            # Gone while its write waits on a row lock the test holds.
            async with db.acquire() as holder, holder.transaction():
                await holder.execute("SELECT 1 FROM products FOR UPDATE")
                _reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
                writer.write(update)
                await lock_waiters(holder)
                writer.close()
                await writer.wait_closed()
                await asyncio.sleep(0.05)  # the server sees the connection go first
            await settled(served)
            # Gone before its body was all there: the app reads to the disconnect (499).
            _reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
            writer.write(update[:-5])
            await asyncio.sleep(0.05)
            writer.close()
            await writer.wait_closed()
            await access_lines(caplog, 2)
            await settled(served)
            logs.append(seen([], caplog)[1])
            await db.execute("UPDATE products SET stock = 10, rev = 1")
        assert direct.app.direct_posts.answered == 1
    assert logs[0] == logs[1]
    assert [line[2]["status"] for line in logs[0] if line[0] == "storefront.access"] == [200, 499]


async def test_busy_and_late_answers_are_the_same(
    database_url: str, store: dict[str, Any], db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    update = request(
        {"query": UPDATE, "variables": {"id": store["id"], "rev": 1}},
        headers={"x-request-id": "late"},
    )
    quick = request({"query": Q1, "variables": {"id": store["id"]}}, headers={"x-request-id": "b"})
    results = []
    settings = {"max_concurrent_requests": 1, "request_timeout": 1.0, "lock_timeout_ms": 20_000}
    async with both(database_url, **settings) as (direct, asgi):
        for served in (direct, asgi):
            caplog.clear()
            # The write holds the one slot, waiting on a row lock, until its deadline.
            async with db.acquire() as holder, holder.transaction():
                await holder.execute("SELECT 1 FROM products FOR UPDATE")
                slow = asyncio.create_task(exchange(served.port, update, answers=1))
                await lock_waiters(holder)
                busy, _ = await exchange(served.port, quick, answers=1)
                late, _ = await slow
            results.append(seen([*busy, *late], caplog))
            await settled(served)
        assert direct.app.direct_posts.answered == 2
    assert results[0] == results[1]
    assert busy[0].status == b"HTTP/1.1 503 Service Unavailable"
    assert busy[0].header(b"retry-after") == b"1"
    assert late[0].status == b"HTTP/1.1 504 Gateway Timeout"


async def test_a_head_queued_behind_slow_answers_is_not_timed_while_reading_waits(
    database_url: str, store: dict[str, Any], db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A request queued behind another pauses reading; a head cut by the last read waits
    unread meanwhile, and its deadline waits with it: the answers ahead all arrive."""
    caplog.set_level(logging.INFO)
    update = request({"query": UPDATE, "variables": {"id": store["id"], "rev": 1}})
    q1 = request({"query": Q1, "variables": {"id": store["id"]}})
    results = []
    settings = {"header_timeout": 0.3, "lock_timeout_ms": 20_000}
    async with both(database_url, **settings) as (direct, asgi):
        for served in (direct, asgi):
            caplog.clear()
            reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
            try:
                async with db.acquire() as holder, holder.transaction():
                    await holder.execute("SELECT 1 FROM products FOR UPDATE")
                    writer.write(update + q1 + q1[:30])
                    await lock_waiters(holder)
                    writer.write(q1[30:])
                    await asyncio.sleep(0.8)  # the write waits past the head timeout
                got = [await asyncio.wait_for(read_answer(reader), 10) for _ in range(3)]
            finally:
                writer.close()
            results.append(seen(got, caplog))
            await db.execute("UPDATE products SET stock = 10, rev = 1")
    assert results[0] == results[1]
    assert [status for status, _, _ in results[0][0]] == [b"HTTP/1.1 200 OK"] * 3


async def test_a_content_length_of_thousands_of_digits_is_read_as_its_figure(
    database_url: str, store: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    q1 = orjson.dumps({"query": Q1, "variables": {"id": store["id"]}})
    zeros = {"content-length": "0" * 4400 + str(len(q1)), "x-request-id": "z"}
    over = {"content-length": "0" * 4400 + str(MAX_BODY_BYTES + 1), "x-request-id": "o"}
    nines = {"content-length": "9" * 4400, "x-request-id": "n"}
    async with both(database_url) as (direct, asgi):
        [small] = await same(direct, asgi, caplog, request(raw=q1, headers=zeros))
        [too_large] = await same(direct, asgi, caplog, request(raw=q1, headers=over))
        [large] = await same(direct, asgi, caplog, request(raw=q1, headers=nines))
    assert small.status == b"HTTP/1.1 200 OK"
    assert small.json()["data"]["product"]["name"] == "Desk lamp"
    assert too_large.status == b"HTTP/1.1 413 Request Entity Too Large"
    assert too_large.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert large.status == b"HTTP/1.1 400 Bad Request"  # over what llhttp counts to


async def test_a_fault_in_the_direct_paths_head_reading_falls_back_to_uvicorns_cycle(
    database_url: str,
    store: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a head the path did not expect")

    monkeypatch.setattr(server.http_protocol, "fits", broken)
    caplog.set_level(logging.INFO)
    q1 = request({"query": Q1, "variables": {"id": store["id"]}})
    async with serving(database_url) as served:
        [answer], _ = await exchange(served.port, q1, answers=1)
        assert served.app.direct_posts is not None
        assert served.app.direct_posts.answered == 0
    assert answer.status == b"HTTP/1.1 200 OK"
    assert answer.json()["data"]["product"]["name"] == "Desk lamp"
    [logged] = [r for r in caplog.records if r.name == "storefront.errors"]
    assert logged.exc_info is not None
    assert "did not expect" in str(logged.exc_info[1])


async def test_a_request_waiting_for_its_body_at_shutdown_is_ended_as_through_asgi(
    database_url: str, store: dict[str, Any]
) -> None:
    update = request({"query": UPDATE, "variables": {"id": store["id"], "rev": 1}})
    answers = []
    async with both(database_url) as (direct, asgi):
        for served in (direct, asgi):
            served.server.config.timeout_graceful_shutdown = 0.2  # type: ignore[assignment]
            reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
            try:
                writer.write(update[:-5])
                await asyncio.sleep(0.05)  # the server has the head
                served.server.should_exit = True
                answers.append(await asyncio.wait_for(read_answer(reader), 10))
                assert await asyncio.wait_for(reader.read(), 10) == b""
            finally:
                writer.close()
        assert direct.app.direct_posts.answered == 0
    assert answers[0].status == answers[1].status == b"HTTP/1.1 500 Internal Server Error"
    assert answers[0].header(b"connection") == answers[1].header(b"connection") == b"close"
