"""uvicorn's HTTP protocol, with what a response writes in one turn of the loop sent at once,
and a bound on how long a request's head may take.

ASGI sends a response as two messages, its head and its body, and uvicorn writes each to
the socket as it comes: two system calls and two TCP segments per answer, and a client that
wakes up twice to read them. Here a connection's writes are gathered until the end of the
loop's current turn and go out in one call; a head and a body sent one after the other (as
every response of ours is) leave as one segment, and a head sent on its own (a stream that
is slow to start) still leaves without waiting for what follows it.

Request heads are timed and idle connections closed by `server.http_deadlines`.

Plain JSON POSTs to `/graphql` go the direct way (`server.direct_http`): no ASGI request
cycle; the protocol gathers the body and writes the app's answer itself.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from server.direct_http import (
    SERVER_ERROR,
    DirectCycle,
    DirectPosts,
    apply_proxy_headers,
    direct_posts,
    fits,
    response_bytes,
)
from server.http_deadlines import Deadlines
from server.middleware import errors


class GatheringTransport:
    """A transport that holds writes until the loop's turn ends, then writes them at once.

    Only what uvicorn's HTTP protocol and its request cycles call on their transport is
    here; the rest is read from the real transport."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None

    def write_now(self, data: bytes) -> None:
        """Writes a whole response at once (after what is held, if anything is)."""
        if self._held is not None:
            self._held.append(data)
        elif not self._transport.is_closing():
            self._transport.write(data)

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._held = [data]
            self._loop.call_soon(self.flush)
        else:
            self._held.append(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def release(self) -> asyncio.Transport:
        """The real transport, for a protocol that takes the connection over (a WebSocket
        after its upgrade): what is held goes first."""
        self.flush()
        return self._transport

    def close(self) -> None:
        self.flush()  # what was written before the close goes first, as it would have
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


PATH, RAW_PATH = "/graphql", b"/graphql"


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with what our protocol adds; it travels to worker processes
    with the rest (uvicorn pickles it)."""

    def __init__(self, *args: Any, head_timeout: float = 5.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout = head_timeout


class HttpProtocol(Deadlines, HttpToolsProtocol):
    """uvicorn's httptools protocol with its writes gathered (`GatheringTransport`), its
    request heads timed (`ServerConfig.head_timeout`) and its idle connections closed on
    one timer (`Deadlines`), and plain JSON POSTs to `/graphql` answered the direct way
    (`server.direct_http`) when the app offers it."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.head_timeout = getattr(config, "head_timeout", 5.0)
        # Where uvicorn would do more than we do (its own access log, a limit on
        # concurrency, a root path, an app it wrapped further), its cycle serves.
        self.direct: tuple[DirectPosts, Any] | None = None
        if not (self.access_log or self.limit_concurrency is not None or self.root_path):
            self.direct = direct_posts(self.app)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # flow control and addresses: the real transport
        self.transport = GatheringTransport(transport, self.loop)  # type: ignore[assignment]
        self.head_began()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop()
        cycle: Any = self.cycle
        if type(cycle) is DirectCycle and cycle.due and cycle.task is None:
            # Gone before its body was in: through ASGI the app, already running, would
            # read up to the disconnect; so it does here.
            self._through_asgi(cycle)
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_began()  # still standing when this is the connection's first request

    def on_headers_complete(self) -> None:
        self.head_arrived()
        if self.direct is not None:
            try:
                cycle = self._direct_cycle(self.direct[0])
            except Exception:  # in a parser callback, a bare 400: uvicorn's cycle takes it
                errors.exception("the direct path failed on a request's head")
                cycle = None
            if cycle is not None:
                self._queue(cycle)
                return
        super().on_headers_complete()

    def _direct_cycle(self, posts: DirectPosts) -> DirectCycle | None:
        """The request as a direct cycle, when its head leaves no doubt it can be one."""
        parser = self.parser
        taken, forwarded = fits(
            parser.get_method(),
            self.url,
            self.headers,
            expect_100_continue=self.expect_100_continue,
            upgrade=parser.should_upgrade(),
        )
        if not taken:
            return None
        # The scope as uvicorn fills it in for this URL and method.
        scope = self.scope
        scope["method"] = "POST"
        http_version = parser.get_http_version()
        if http_version != "1.1":
            scope["http_version"] = http_version
        scope["path"], scope["raw_path"], scope["query_string"] = PATH, RAW_PATH, b""
        if not posts.takes(scope):
            return None
        keep_alive = http_version != "1.0" and parser.should_keep_alive()
        return DirectCycle(scope, keep_alive=keep_alive, forwarded=forwarded)

    def _queue(self, cycle: DirectCycle) -> None:
        """As uvicorn queues a request cycle: due at once, or after the responses before it
        (reading pauses meanwhile)."""
        existing = self.cycle
        self.cycle = cycle  # type: ignore[assignment]
        if existing is None or existing.response_complete:
            self._start_asgi_task(cycle, None)
        else:
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, None))  # type: ignore[arg-type]

    def on_body(self, body: bytes) -> None:
        cycle: Any = self.cycle
        if type(cycle) is DirectCycle:
            cycle.chunks.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle: Any = self.cycle
        if type(cycle) is DirectCycle:
            cycle.more_body = False
            if cycle.due:
                self._answer(cycle)
        else:
            super().on_message_complete()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        # uvicorn starts a cycle here when it is due: at its head, or after the one before.
        if type(cycle) is DirectCycle:
            cycle.due = True
            if not cycle.more_body:
                self._answer(cycle)
            elif self.shutting_down:
                self._through_asgi(cycle)
        else:
            super()._start_asgi_task(cycle, app)

    shutting_down = False

    def shutdown(self) -> None:
        # A request waiting for its body has no task for uvicorn to cancel, and the app
        # shuts down meanwhile: an ASGI cycle takes it, and uvicorn ends it as any other.
        self.shutting_down = True
        cycle: Any = self.cycle
        if type(cycle) is DirectCycle and cycle.due and cycle.more_body:
            self._through_asgi(cycle)
        super().shutdown()

    def _answer(self, cycle: DirectCycle) -> None:
        if self.config.reset_contextvars:  # as uvicorn starts its cycles' tasks
            task = self.loop.create_task(self._direct(cycle), context=contextvars.Context())
        else:
            task = self.loop.create_task(self._direct(cycle))
        cycle.task = task
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    async def _direct(self, cycle: DirectCycle) -> None:
        assert self.direct is not None
        posts, proxy = self.direct
        try:
            if cycle.forwarded and proxy is not None:
                apply_proxy_headers(proxy, cycle.scope)
            status, headers, body = await posts.answer(cycle.scope, cycle.body())
            if self.flow.write_paused and not cycle.disconnected:
                await self.flow.drain()
        except BaseException as exc:
            # What uvicorn's cycle does for an app that fails without answering.
            self.logger.error("Exception in ASGI application\n", exc_info=exc)
            status, headers, body = SERVER_ERROR
            cycle.keep_alive = False
        if cycle.disconnected:
            return
        self.transport.write_now(  # type: ignore[attr-defined]
            response_bytes(
                status,
                headers,
                body,
                default_headers=self.server_state.default_headers,
                keep_alive=cycle.keep_alive,
            )
        )
        cycle.response_complete = True
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _through_asgi(self, direct: DirectCycle) -> None:
        """The request to the ASGI app after all, with its body as far as it came: the
        cycle uvicorn would have made for it at its head."""
        cycle = RequestResponseCycle(
            scope=direct.scope,
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=direct.keep_alive,
            on_response=self.on_response_complete,
        )
        cycle.body = bytearray(direct.body())
        cycle.more_body = direct.more_body
        if cycle.body or not cycle.more_body:
            cycle.message_event.set()
        self.cycle = cycle
        super()._start_asgi_task(cycle, self.app)

    def _unset_keepalive_if_required(self) -> None:
        # uvicorn's call when bytes arrive, and before it sets its idle timer.
        self.busy()
        super()._unset_keepalive_if_required()

    def on_response_complete(self) -> None:
        # uvicorn's, with the idle connection's deadline moved rather than a timer set.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.busy()
        if self.flow.read_paused:
            self.flow.resume_reading()
            self.reading_resumed()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self.idle()
