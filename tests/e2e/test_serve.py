"""`storefront serve` as a user runs it: embedded PostgreSQL, demo data, clean stops."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx
import pytest

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
