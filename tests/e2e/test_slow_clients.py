"""Connections that send nothing, or a request head a little at a time, are closed.

A client that opened a connection and sent half a request head used to keep it as long as
it liked: enough of them hold every connection a server can take. The server gives a
request head `STOREFRONT_HEADER_TIMEOUT` seconds from the connection's opening (or the
request's first byte) and a kept-alive connection `STOREFRONT_KEEP_ALIVE_TIMEOUT` seconds
of idling between requests.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import RunningServer, storefront_serve

pytestmark = pytest.mark.e2e

TIMEOUT = 1.0
HEAD = b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
BODY = b'{"query": "{ __typename }"}'
REQUEST = HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY


@pytest.fixture
def server(tmp_path: Path, database_url: str, db: object) -> Iterator[RunningServer]:
    env = {
        "STOREFRONT_SEED_DEMO": "false",
        "STOREFRONT_HEADER_TIMEOUT": str(TIMEOUT),
        "STOREFRONT_KEEP_ALIVE_TIMEOUT": str(TIMEOUT),
    }
    with storefront_serve(tmp_path, database_url=database_url, extra_env=env) as running:
        yield running


def _connect(server: RunningServer) -> socket.socket:
    parts = urlsplit(server.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _closed_after(conn: socket.socket) -> float:
    """Seconds until the server closes `conn` (reads and drops what it sends first)."""
    started = time.monotonic()
    while conn.recv(65536):
        pass
    return time.monotonic() - started


def test_half_a_request_head_is_cut_off(server: RunningServer) -> None:
    with _connect(server) as conn:
        conn.sendall(HEAD)
        assert TIMEOUT * 0.8 < _closed_after(conn) < TIMEOUT + 4


def test_a_head_that_trickles_in_is_cut_off_when_its_time_is_up(server: RunningServer) -> None:
    """Each byte arriving in time does not buy more: the head has one deadline."""
    with _connect(server) as conn:
        started = time.monotonic()
        for byte in HEAD:
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break  # closed under us
            time.sleep(0.05)
            if time.monotonic() - started > TIMEOUT + 4:
                pytest.fail("the trickling head was never cut off")
        _closed_after(conn)
        assert time.monotonic() - started < TIMEOUT + 4


def test_a_connection_that_never_speaks_is_closed(server: RunningServer) -> None:
    with _connect(server) as conn:
        assert TIMEOUT * 0.8 < _closed_after(conn) < TIMEOUT + 4


def test_an_idle_kept_alive_connection_is_closed_after_answers(server: RunningServer) -> None:
    with _connect(server) as conn:
        for _ in range(3):  # requests in time are answered, one after the other
            conn.sendall(REQUEST)
            answer = conn.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200"), answer
            assert b"__typename" in answer
            time.sleep(TIMEOUT / 3)
        assert _closed_after(conn) < TIMEOUT + 4
