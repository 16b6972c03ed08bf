"""Real server processes for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.common import stop
from server.embedded import free_port
from tests.conftest import token

STARTUP_SECONDS = 60
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def graphql_url(self) -> str:
        return self.base_url + "/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def node_with(*packages: str, needed_by: str) -> str:
    """The `node` executable, with `packages` installed in node_modules/ (`make install`).

    Without node the test skips, except on CI, where it must run."""
    node = shutil.which("node")
    if node is None:
        reason = f"node is not installed: {needed_by} needs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    for package in packages:
        if not (ROOT / "node_modules" / package / "package.json").is_file():
            pytest.fail(f"{package} is not installed in node_modules/: run `make install`")
    return node


@contextlib.contextmanager
def storefront_serve(
    tmp_path: Path, *, database_url: str | None, extra_env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """Runs `storefront serve` as a subprocess until the block ends (SIGINT, then wait)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    env.pop("DATABASE_URL", None)
    env.update(
        STOREFRONT_PORT=str(port),
        STOREFRONT_DATA_DIR=str(tmp_path / "data"),
        STOREFRONT_LOG_FORMAT="json",
        **(extra_env or {}),
    )
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        stop(process)


def run_script(args: list[str], what: str, *, timeout: float, cwd: Path = ROOT) -> str:
    """The standard output of a script (a node client, a compiler) that must succeed."""
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{what} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


@contextlib.contextmanager
def client_process(args: list[str]) -> Iterator[subprocess.Popen[str]]:
    """A client script run from the repository root, writing JSON lines to its stdout pipe;
    killed if it still runs when the block ends."""
    client = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield client
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()


CREATE_CATEGORY = """mutation { createCategory(input: {name: "Lamps"}) {
  ... on CreateCategorySuccess { category { id } } } }"""
CREATE_PRODUCT = """mutation($c: ID!) { createProduct(input: {sku: "LMP-001", name: "Desk lamp",
  price: "20.00", stock: 3, categoryId: $c}) { __typename } }"""


def create_a_lamp(graphql_url: str) -> None:
    """A product "Desk lamp" made through the API as staff, in a new category, for a
    subscriber to see."""
    staff = {"Authorization": f"Bearer {token('staff')}"}
    created = httpx.post(graphql_url, json={"query": CREATE_CATEGORY}, headers=staff)
    category = created.json()["data"]["createCategory"]["category"]["id"]
    variables = {"c": category}
    made = httpx.post(
        graphql_url, json={"query": CREATE_PRODUCT, "variables": variables}, headers=staff
    )
    assert made.json()["data"]["createProduct"]["__typename"] == "CreateProductSuccess"


def _wait_until_ready(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"storefront serve exited early:\n{server.log()}")
        try:
            if httpx.get(server.base_url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"storefront serve was not ready within {STARTUP_SECONDS}s:\n{server.log()}")


@pytest.fixture
def live_server(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str, db: object
) -> Iterator[RunningServer]:
    """A real server process on the suite's database (tables emptied first); parametrized
    indirectly with "demo", it loads the demo data into them at start-up."""
    demo = getattr(request, "param", None) == "demo"
    seed_demo = {"STOREFRONT_SEED_DEMO": "true" if demo else "false"}
    with storefront_serve(tmp_path, database_url=database_url, extra_env=seed_demo) as server:
        yield server
