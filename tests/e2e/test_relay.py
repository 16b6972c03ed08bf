"""Relay (Meta's GraphQL client) against our schema and a real server.

relay-compiler compiles the Relay-style operations under tests/relay/src (pagination
fragments with @connection and @refetchable, nested connections, node refetch, mutations
with @appendEdge, @appendNode, @prependNode, @deleteEdge and @deleteRecord) against
schema.graphql; then relay_store.mjs runs them through relay-runtime's store against
`storefront serve`. Both are npm packages pinned in package-lock.json, installed by
`make install`; without node the tests skip, except on CI, where they must run.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.conftest import TEST_SECRET, token
from tests.e2e.conftest import ROOT, RunningServer, node_with, run_script, storefront_serve

pytestmark = pytest.mark.e2e

RELAY_APP = ROOT / "tests" / "relay"
STORE_SCRIPT = Path(__file__).with_name("relay_store.mjs")
COMPILER = ROOT / "node_modules" / ".bin" / "relay-compiler"
SECONDS = 120


def _node() -> str:
    return node_with("relay-compiler", "relay-runtime", needed_by="the Relay tests")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The Relay app compiled in a scratch copy: (artifact directory, compiler output)."""
    _node()
    app = tmp_path_factory.mktemp("relay")
    shutil.copytree(RELAY_APP / "src", app / "src")
    config = json.loads((RELAY_APP / "relay.config.json").read_text())
    config["schema"] = str(ROOT / "schema.graphql")
    (app / "relay.config.json").write_text(json.dumps(config))
    artifacts = app / config["artifactDirectory"]
    artifacts.mkdir()
    done = subprocess.run(
        [str(COMPILER), "--noWatchman"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        check=False,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    assert done.returncode == 0, f"relay-compiler failed:\n{output}"
    return artifacts, output


def test_relay_compiler_compiles_every_operation_without_a_warning(
    compiled: tuple[Path, str],
) -> None:
    artifacts, output = compiled
    assert "Compilation completed" in output
    assert not re.search(r"\[(WARN|ERROR)\]", output), output
    sources = {p.stem for p in (RELAY_APP / "src").glob("*.js")}
    made = {p.name.removesuffix(".graphql.js") for p in artifacts.glob("*.graphql.js")}
    # Each module's operations and fragments, plus the queries @refetchable generates.
    assert {"ProductListPaginationQuery", "ProductDetailsRefetchQuery"} <= made
    assert all(any(name.startswith(module) for name in made) for module in sources)


def test_custom_scalars_are_typed_as_the_relay_config_maps_them(
    compiled: tuple[Path, str],
) -> None:
    """Decimal and DateTime are strings on the wire; unmapped they would be `any`."""
    artifacts, _ = compiled
    types = (artifacts / "ProductDetails_product.graphql.js").read_text()
    assert "+price: string," in types
    assert "+updatedAt: string," in types
    assert "+deletedAt: ?string," in types
    assert ": any" not in types


@pytest.fixture
def server(tmp_path: Path, database_url: str, db: object) -> Iterator[RunningServer]:
    with storefront_serve(
        tmp_path,
        database_url=database_url,
        extra_env={"STOREFRONT_SEED_DEMO": "false", "STOREFRONT_JWT_SECRET": TEST_SECRET},
    ) as running:
        yield running


def _type_of(global_id: str) -> str | None:
    try:
        return base64.b64decode(global_id, validate=True).decode().partition(":")[0]
    except ValueError:
        return None


async def test_relay_store_stays_consistent_through_pages_conflicts_and_deletes(
    compiled: tuple[Path, str], server: RunningServer, db: Database
) -> None:
    artifacts, _ = compiled
    tools = await factories.category(db, "Tools")
    garden = await factories.category(db, "Garden")
    await factories.product(db, tools, "Anvil", sku="AN-0001", stock=50)
    for name in ("Chisel", "Drill", "Hammer"):
        await factories.product(db, tools, name)
    await factories.product(db, garden, "Rake")
    customer = to_global_id("Customer", await factories.customer(db, "Ada"))

    args = [_node(), str(STORE_SCRIPT), server.graphql_url, token("staff"), str(artifacts)]
    output = run_script([*args, customer], "the Relay store script", timeout=SECONDS)
    report = json.loads(output)
    assert len(report["steps"]) == 11, report["steps"]
    # relay-runtime warns, among others, when a server breaks the globally unique id rule.
    assert report["warnings"] == []
    # Every record filed under a global id is the node that id names; the NotFoundErrors
    # are filed under client ids of their mutation's payload, never under a product's id.
    records: dict[str, str] = report["records"]
    for record_id, type_name in records.items():
        if not record_id.startswith("client:"):
            assert _type_of(record_id) == type_name, (record_id, type_name)
    errors = [i for i, t in records.items() if t == "NotFoundError"]
    assert errors, records
    assert all(record_id.startswith("client:") for record_id in errors)
