"""A response's head and body leave in one write; nothing written is lost or reordered."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from server.http_protocol import GatheringTransport, HttpProtocol


class RecordingTransport(asyncio.Transport):
    """A socket's side of a connection: what was written, in which calls, and the close."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after the close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def a_turn() -> None:
    """Lets the loop finish its current turn (call_soon callbacks run in the next one)."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_writes_of_one_turn_go_out_as_one_and_later_ones_on_their_own() -> None:
    real = RecordingTransport()
    gathering = GatheringTransport(real, asyncio.get_running_loop())
    gathering.write(b"head ")
    gathering.write(b"body")
    assert real.writes == []  # held until the turn ends
    await a_turn()
    assert real.writes == [b"head body"]
    gathering.write(b"next")
    await a_turn()
    assert real.writes == [b"head body", b"next"]


async def test_a_close_sends_what_was_written_before_it() -> None:
    real = RecordingTransport()
    gathering = GatheringTransport(real, asyncio.get_running_loop())
    gathering.write(b"last words")
    gathering.close()
    assert real.writes == [b"last words"]
    assert real.closed
    assert gathering.is_closing()
    await a_turn()  # the scheduled flush finds nothing left to write
    assert real.writes == [b"last words"]


async def test_nothing_is_written_to_a_transport_closed_meanwhile() -> None:
    real = RecordingTransport()
    gathering = GatheringTransport(real, asyncio.get_running_loop())
    gathering.write(b"too late")
    real.close()  # the peer went away: the connection closed under the protocol
    await a_turn()
    assert real.writes == []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    body = b'{"data":{}}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def protocol_on(transport: RecordingTransport) -> HttpProtocol:
    config = uvicorn.Config(app, http=HttpProtocol, lifespan="off", log_config=None)
    config.load()
    assert config.http_protocol_class is HttpProtocol
    protocol = HttpProtocol(config, ServerState(), {})
    protocol.connection_made(transport)
    return protocol


async def until(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the protocol did not answer")


async def test_each_answer_on_a_kept_alive_connection_is_one_write_of_head_and_body() -> None:
    real = RecordingTransport()
    protocol = protocol_on(real)
    request = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    protocol.data_received(request)
    await until(lambda: len(real.writes) == 1)
    protocol.data_received(request)
    await until(lambda: len(real.writes) == 2)
    await a_turn()
    for answer in real.writes:
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"content-length: 11" in head
        assert body == b'{"data":{}}'
    assert len(real.writes) == 2
    assert not real.closed
    protocol.connection_lost(None)
    assert real.closed


async def test_a_malformed_request_is_answered_and_the_connection_closed() -> None:
    real = RecordingTransport()
    protocol = protocol_on(real)
    protocol.data_received(b"NOT HTTP AT ALL\r\n\r\n")
    await a_turn()
    assert real.closed
    assert len(real.writes) == 1
    assert real.writes[0].startswith(b"HTTP/1.1 400 ")


async def test_an_idle_connection_closes_at_the_keep_alive_timeout_before_the_head_one() -> None:
    """One timer times both: a shorter keep-alive deadline set after the head's still wins."""
    real = RecordingTransport()
    config = uvicorn.Config(app, http=HttpProtocol, lifespan="off", timeout_keep_alive=0)
    config.load()
    protocol = HttpProtocol(config, ServerState(), {})
    protocol.timeout_keep_alive = 0.05  # type: ignore[assignment]  # uvicorn declares an int
    protocol.connection_made(real)  # the head's deadline: 5 s from now
    protocol.data_received(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    await until(lambda: len(real.writes) == 1)
    await until(lambda: real.closed)  # within a second: not the head's 5 s
    protocol.connection_lost(None)
