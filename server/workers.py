"""Several worker processes on one port, each accepting its own share of new connections.

Uvicorn's supervisor binds one socket and every worker listens on that same socket. Clients
that keep their connections alive open them in a burst, and the worker that wakes first
accepts the whole burst: under 16 keep-alive connections one worker of two served every
request while the other sat idle. On Linux each worker here listens on a socket of its own
bound to the same port (SO_REUSEPORT), and the kernel deals new connections out among the
listening sockets by a hash of their addresses, as nginx's `reuseport` and gunicorn's
`--reuse-port` do. Elsewhere SO_REUSEPORT does not spread connections, and the shared
socket stays.

Uvicorn's supervisor (health checks, restarts, signals) is kept: it pickles the sockets it
is given into each worker it starts, and `_Port` pickles as the recipe for a new socket.
"""

from __future__ import annotations

import logging
import socket
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("storefront")

SPREADS_CONNECTIONS = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def run(config: uvicorn.Config) -> None:
    """Serves the app with `config.workers` processes until a signal stops them."""
    if not SPREADS_CONNECTIONS:
        port = config.bind_socket()
    else:
        try:
            port = _Port.claim(config.host, config.port)
        except OSError as problem:
            log.error("cannot listen on %s:%d: %s", config.host, config.port, problem)
            raise SystemExit(STARTUP_FAILURE) from None
    Multiprocess(config, sockets=[port]).run()


class _Port(socket.socket):
    """The port, held by the supervisor: bound (so a port in use fails at the start, and
    port 0 is resolved once for all workers) but never listening, so no connection waits
    on it. Handed to a worker, it arrives as that worker's own socket on the same port."""

    @classmethod
    def claim(cls, host: str, port: int) -> _Port:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        held = cls(family, socket.SOCK_STREAM)
        try:
            _share(held).bind((host, port))
        except BaseException:
            held.close()
            raise
        return held

    def __reduce__(self) -> tuple[object, tuple[int, tuple[str, int]]]:
        host, port = self.getsockname()[:2]
        return _listener, (self.family, (host, port))


def _listener(family: int, address: tuple[str, int]) -> socket.socket:
    """A worker's own socket on the shared port (uvicorn's server makes it listen)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    _share(sock).bind(address)
    return sock


def _share(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock
