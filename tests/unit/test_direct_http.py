"""What the direct path and the protocol read and override of uvicorn's internals is still
there, in the shape they were written against. A uvicorn or httptools release that moves
any of it fails here, by name, before anything is served wrongly."""

from __future__ import annotations

import asyncio
import inspect
import logging
from importlib.metadata import version
from typing import Any

import httptools
import uvicorn
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from engine.http_params import MAX_BODY_BYTES, declared_size
from server.direct_http import (
    SERVER_ERROR,
    apply_proxy_headers,
    direct_posts,
    fits,
    response_bytes,
)
from tests.unit.test_http_protocol import RecordingTransport


def test_uvicorn_and_httptools_are_the_versions_the_path_was_written_against() -> None:
    assert uvicorn.__version__.startswith("0.55."), uvicorn.__version__
    assert version("httptools").startswith("0.9."), version("httptools")


def test_the_protocol_methods_overridden_and_called_are_there() -> None:
    calls = {
        "connection_made": ["self", "transport"],
        "connection_lost": ["self", "exc"],
        "on_message_begin": ["self"],
        "on_headers_complete": ["self"],
        "on_body": ["self", "body"],
        "on_message_complete": ["self"],
        "on_response_complete": ["self"],
        "_start_asgi_task": ["self", "cycle", "app"],
        "_unset_keepalive_if_required": ["self"],
        "shutdown": ["self"],
    }
    for name, parameters in calls.items():
        method = getattr(HttpToolsProtocol, name)
        assert list(inspect.signature(method).parameters) == parameters, name
    # on_response_complete is replaced whole: what it did is what ours does.
    source = inspect.getsource(HttpToolsProtocol.on_response_complete)
    for step in (
        "self.server_state.total_requests += 1",
        "self.transport.is_closing()",
        "self._unset_keepalive_if_required()",
        "self.flow.resume_reading()",
        "cycle, app = self.pipeline.pop()",
        "self._start_asgi_task(cycle, app)",
        "self.timeout_keep_alive_task = self.loop.call_later(",
    ):
        assert step in source, step


async def test_the_protocol_state_read_is_there() -> None:
    config = uvicorn.Config(ProxyHeadersMiddleware, lifespan="off", log_config=None)
    protocol = HttpToolsProtocol(config, ServerState(), {}, _loop=asyncio.get_running_loop())
    for name in (
        "access_log",
        "access_logger",
        "app",
        "cycle",
        "expect_100_continue",
        "flow",
        "headers",
        "limit_concurrency",
        "logger",
        "loop",
        "parser",
        "pipeline",
        "root_path",
        "scope",
        "server_state",
        "tasks",
        "timeout_keep_alive",
        "transport",
    ):
        assert hasattr(protocol, name), name
    assert isinstance(protocol.parser, httptools.HttpRequestParser)
    for name in ("get_method", "get_http_version", "should_keep_alive", "should_upgrade"):
        assert callable(getattr(protocol.parser, name)), name
    # The scope uvicorn starts for each request, which the direct path completes.
    protocol.on_message_begin()
    assert set(protocol.scope) == {
        "type", "asgi", "http_version", "server", "client", "scheme", "root_path", "headers",
        "state",
    }  # fmt: skip
    assert hasattr(ServerState(), "default_headers")
    assert isinstance(config.reset_contextvars, bool)  # how uvicorn starts a request's task
    assert "context=contextvars.Context()" in inspect.getsource(HttpToolsProtocol._start_asgi_task)


def test_the_request_cycle_is_made_and_read_as_the_path_does() -> None:
    parameters = list(inspect.signature(RequestResponseCycle).parameters)
    assert parameters == [
        "scope", "transport", "flow", "logger", "access_logger", "access_log",
        "default_headers", "message_event", "expect_100_continue", "keep_alive", "on_response",
    ]  # fmt: skip
    source = inspect.getsource(RequestResponseCycle)
    for attribute in ("self.body", "self.more_body", "self.disconnected", "self.keep_alive"):
        assert f"{attribute} =" in source, attribute
    assert "self.response_complete = True" in source
    # The answer to an app that fails before answering, which the direct path also writes.
    assert '(b"content-length", b"21")' in source
    assert SERVER_ERROR[2] == b"Internal Server Error"


async def test_a_direct_answer_is_written_as_uvicorns_cycle_writes_it() -> None:
    headers = [(b"content-length", b"2"), (b"content-type", b"application/json")]
    default_headers = [(b"date", b"Sun, 06 Dec 2026 16:00:00 GMT")]
    for keep_alive in (True, False):
        transport = RecordingTransport()
        cycle = RequestResponseCycle(
            scope={"type": "http", "method": "POST", "path": "/graphql"},  # type: ignore[typeddict-item]
            transport=transport,
            flow=FlowControl(transport),
            logger=logging.getLogger("uvicorn.error"),
            access_logger=logging.getLogger("uvicorn.access"),
            access_log=False,
            default_headers=default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=keep_alive,
            on_response=lambda: None,
        )

        async def app(scope: object, receive: object, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"{}"})

        await cycle.run_asgi(app)
        written = response_bytes(
            200, headers, b"{}", default_headers=default_headers, keep_alive=keep_alive
        )
        assert written == b"".join(transport.writes), keep_alive
        assert (b"connection: close" in written) is not keep_alive


def test_a_content_length_is_read_as_its_figure_however_many_digits_it_has() -> None:
    assert declared_size(b"0" * 4400 + b"512") == 512
    assert declared_size(b"0") == 0
    assert declared_size(str(MAX_BODY_BYTES).encode()) == MAX_BODY_BYTES
    assert declared_size(b"0" * 4400 + b"1" + b"0" * 7) == MAX_BODY_BYTES + 1
    assert declared_size(b"9" * 5000) == MAX_BODY_BYTES + 1
    for not_a_figure in (b"", b"-1", b"1e3", b" 12", "\u00b2".encode()):
        assert declared_size(not_a_figure) is None
    head = {"expect_100_continue": False, "upgrade": False}
    for length, taken in ((b"0" * 4400 + b"2", True), (b"9" * 5000, False)):
        assert fits(b"POST", b"/graphql", [(b"content-length", length)], **head)[0] is taken


def test_proxy_headers_apply_to_a_direct_request_as_uvicorns_middleware_applies_them() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        return None

    found = direct_posts(ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1"))
    assert found is None  # not our app: no direct path
    proxy = ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1")
    scope = {
        "type": "http",
        "scheme": "http",
        "client": ("127.0.0.1", 5000),
        "headers": [(b"x-forwarded-for", b"10.1.2.3"), (b"x-forwarded-proto", b"https")],
    }
    apply_proxy_headers(proxy, scope)
    assert scope["client"] == ("10.1.2.3", 0)
    assert scope["scheme"] == "https"
    untrusted = {**scope, "client": ("10.9.9.9", 5000), "scheme": "http"}
    apply_proxy_headers(proxy, untrusted)
    assert untrusted["client"] == ("10.9.9.9", 5000)
    assert untrusted["scheme"] == "http"
