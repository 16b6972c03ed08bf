"""Generated request ids: random per request, and per process after a fork (a worker)."""

from __future__ import annotations

import os

from server.middleware import _request_id

NO_ID: dict[str, list[tuple[bytes, bytes]]] = {"headers": []}


def test_a_forked_worker_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child writes the id it makes next, and leaves without pytest's exit
        os.write(write, _request_id(NO_ID, None).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    parent = _request_id(NO_ID, None)
    assert len(child) == len(parent) == 32
    assert child != parent
    assert len({_request_id(NO_ID, None) for _ in range(1000)}) == 1000
