"""The graphql-codegen example types every field of this schema, custom scalars included.

Frontend teams generate TypeScript from the checked-in `schema.graphql`; an unmapped custom
scalar came out as `unknown`. `examples/codegen/codegen.ts` maps `Decimal` and `DateTime`
to strings and refuses any scalar it does not map (`strictScalars`), and this test runs it
as a team would, on an operation that reads both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "codegen" / "codegen.ts"
CODEGEN = ROOT / "node_modules" / ".bin" / "graphql-codegen"
OPERATION = """query ProductPage($first: Int!, $cheaperThan: Decimal) {
  products(first: $first, filter: {price: {lt: $cheaperThan}}) {
    nodes { id name price createdAt deletedAt category { name } }
  }
}
"""


def _project(tmp_path: Path) -> Path:
    """A client project: the example config, the schema and one operation."""
    if shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed: graphql-codegen needs it")
        pytest.skip("node is not installed: graphql-codegen needs it")
    if not CODEGEN.exists():
        pytest.fail("graphql-codegen is not installed in node_modules/: run `make install`")
    shutil.copy(CONFIG, tmp_path / "codegen.ts")
    shutil.copy(ROOT / "schema.graphql", tmp_path / "schema.graphql")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "product.graphql").write_text(OPERATION)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


def _generate(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CODEGEN), "--config", "codegen.ts"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_custom_scalars_come_out_as_strings(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = _generate(project)
    assert done.returncode == 0, done.stdout + done.stderr
    generated = (project / "src" / "generated" / "graphql.ts").read_text()
    assert "Decimal: { input: string; output: string; }" in generated
    assert "DateTime: { input: string; output: string; }" in generated
    [query] = re.findall(r"export type ProductPageQuery = (.*);", generated)
    assert "price: string" in query
    assert "createdAt: string" in query
    assert "deletedAt: string | null" in query
    assert "unknown" not in query
    [variables] = re.findall(
        r"export type ProductPageQueryVariables = Exact<\{(.*?)\}>;", generated, re.DOTALL
    )
    assert "cheaperThan?: string | null | undefined;" in variables


def test_a_scalar_the_config_does_not_map_fails_the_run(tmp_path: Path) -> None:
    """strictScalars: a new custom scalar fails codegen instead of typing as `unknown`."""
    project = _project(tmp_path)
    config = project / "codegen.ts"
    config.write_text(config.read_text().replace('DateTime: "string"', 'Instant: "string"'))
    done = _generate(project)
    assert done.returncode != 0
    assert "Unknown scalar type DateTime" in done.stdout + done.stderr
