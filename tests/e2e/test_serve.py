"""`storefront serve` as a user runs it: embedded PostgreSQL, demo data, clean stops."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from server.workers import SPREADS_CONNECTIONS
from tests.e2e.conftest import RunningServer, storefront_serve

pytestmark = pytest.mark.e2e

QUERY = "{ products(first: 3) { totalCount nodes { id name category { name } } } }"


def postgres_processes_for(data_dir: Path) -> list[int]:
    """Live (not zombie) postgres processes whose command line names this data dir."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if "postgres" in cmdline and str(data_dir) in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def ask(server: RunningServer) -> dict[str, object]:
    response = httpx.post(server.graphql_url, json={"query": QUERY}, timeout=10)
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    assert response.headers["date"]  # HTTP asks for it; the software's name is not given
    assert "server" not in response.headers
    body: dict[str, object] = response.json()
    return body


def test_embedded_run_serves_demo_data_stops_cleanly_and_reuses_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with storefront_serve(tmp_path, database_url=None) as server:
        assert postgres_processes_for(data_dir), "the embedded PostgreSQL should be running"
        first = ask(server)
        products = first["data"]["products"]  # type: ignore[index]
        assert products["totalCount"] > 0
        assert all(node["category"]["name"] for node in products["nodes"])
        assert httpx.get(server.base_url + "/healthz").json() == {"status": "ok"}
        assert server.stop(signal.SIGINT) == 0
    assert postgres_processes_for(data_dir) == []
    log_lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    access = [line for line in log_lines if line.get("logger") == "storefront.access"]
    assert {"method", "status", "duration_ms", "request_id", "operation"} <= set(access[0])
    # The whole URL of the embedded database, so other tools (`storefront seed`, psql) use
    # the same database rather than the server's maintenance one.
    [named] = [line["message"] for line in log_lines if line["message"].startswith("database: ")]
    assert re.search(r"postgresql://\w+@127\.0\.0\.1:\d+/storefront ", named), named

    with storefront_serve(tmp_path, database_url=None) as again:
        assert ask(again) == first  # same rows: the data was reused, not re-seeded
        assert "applied migrations" not in again.log()
        assert again.stop(signal.SIGTERM) == 0
    assert postgres_processes_for(data_dir) == []


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path, database_url: str) -> None:
    with (
        storefront_serve(
            tmp_path, database_url=database_url, extra_env={"STOREFRONT_SEED_DEMO": "false"}
        ) as server,
        httpx.Client(timeout=30) as client,
    ):
        import threading

        result: dict[str, int] = {}

        def slow_request() -> None:
            # A document the server must parse and run takes a few ms; make the client send
            # its body slowly instead, so the request is certainly in flight at SIGTERM.
            def body() -> object:
                yield b'{"query": "{ products(first: 1) { totalCount } }"'
                import time

                time.sleep(1.0)
                yield b"}"

            response = client.post(
                server.graphql_url,
                content=body(),  # type: ignore[arg-type]
                headers={"content-type": "application/json"},
            )
            result["status"] = response.status_code

        thread = threading.Thread(target=slow_request)
        thread.start()
        import time

        time.sleep(0.4)
        server.process.send_signal(signal.SIGTERM)
        thread.join(timeout=30)
        assert result.get("status") == 200
        assert server.process.wait(timeout=30) == 0


def test_database_url_wins_over_embedded(tmp_path: Path, database_url: str) -> None:
    with storefront_serve(
        tmp_path, database_url=database_url, extra_env={"STOREFRONT_SEED_DEMO": "false"}
    ) as server:
        assert ask(server)["data"] is not None
        assert not (tmp_path / "data" / "pgdata").exists()
    assert os.path.exists(server.log_path)


@pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads connections on Linux")
def test_workers_each_take_a_share_of_a_burst_of_connections(
    tmp_path: Path, database_url: str
) -> None:
    """Keep-alive clients open their connections at once; with one shared listening socket
    the worker that woke first took them all. Every worker must get some of 32."""
    with storefront_serve(
        tmp_path,
        database_url=database_url,
        extra_env={"STOREFRONT_SEED_DEMO": "false", "STOREFRONT_WORKERS": "2"},
    ) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        wait_for(lambda: len(sockets_on(port, LISTENING)) == 2, what="two listening workers")
        burst = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
        try:
            for conn in burst:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            for conn in burst:
                conn.settimeout(10)
                assert conn.recv(64).startswith(b"HTTP/1.1 200")
            owners = owners_of(sockets_on(port, ESTABLISHED), server.process.pid)
        finally:
            for conn in burst:
                conn.close()
    assert sum(owners.values()) == 32
    assert len(owners) == 2, f"connections per worker: {owners}"


LISTENING, ESTABLISHED = "0A", "01"


def sockets_on(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets whose local port is `port`, in that state."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            found.add(fields[9])
    return found


def owners_of(inodes: set[str], parent: int) -> dict[int, int]:
    """How many of these sockets each child process of `parent` holds open."""
    owners: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or parent_of(entry) != parent:
                continue
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    owners[int(entry.name)] = owners.get(int(entry.name), 0) + 1
        except OSError:
            continue
    return owners


def parent_of(proc: Path) -> int:
    return int((proc / "stat").read_text().rpartition(")")[2].split()[1])


def wait_for(condition: Callable[[], bool], *, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds:g}s")
        time.sleep(0.1)
