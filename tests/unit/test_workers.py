"""The port the workers share: held by the supervisor, a socket of its own in each worker."""

from __future__ import annotations

import pickle
import socket

import pytest
import uvicorn
from uvicorn.config import STARTUP_FAILURE

from server import workers

pytestmark = pytest.mark.skipif(
    not workers.SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads connections on Linux"
)


def test_a_worker_gets_its_own_socket_on_the_port_the_supervisor_holds() -> None:
    held = workers._Port.claim("127.0.0.1", 0)
    try:
        port = held.getsockname()[1]
        assert port != 0
        # What multiprocessing does when it starts a worker with the supervisor's sockets.
        mine, theirs = pickle.loads(pickle.dumps(held)), pickle.loads(pickle.dumps(held))
        try:
            for sock in (mine, theirs):
                assert type(sock) is socket.socket
                assert sock.fileno() != held.fileno()
                assert sock.getsockname() == ("127.0.0.1", port)
                sock.listen()
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
        finally:
            mine.close()
            theirs.close()
    finally:
        held.close()


def test_a_port_in_use_stops_the_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = uvicorn.Config("server.app:create_app", port=taken.getsockname()[1], workers=2)
        with pytest.raises(SystemExit) as stopped:
            workers.run(config)
    assert stopped.value.code == STARTUP_FAILURE
