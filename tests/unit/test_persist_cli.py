"""`storefront persist`: the persisted-operation manifest, and `serve` refusing to start
trusted-only without a usable one."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import OperationDefinitionNode, parse, validate

from gql.schema import schema
from server.cli import main

PRODUCTS = """
# The catalogue page.
query ProductPage($first: Int) {
  products(first: $first) { nodes { ...ProductCard } }
}

mutation AdjustStock($id: ID!, $delta: Int!) {
  adjustStock(id: $id, delta: $delta) { __typename }
}
"""
CATEGORIES = """
query CategoryList { categories { nodes { ...CategoryName } } }
"""
FRAGMENTS = """
fragment ProductCard on Product { name price category { ...CategoryName } }
fragment CategoryName on Category { name }
fragment NeverUsed on Category { id }
"""


def write(directory: Path, **files: str) -> list[str]:
    paths = []
    for name, text in files.items():
        path = directory / f"{name}.graphql"
        path.write_text(text)
        paths.append(str(path))
    return paths


def persist(*args: str) -> tuple[int, dict[str, Any] | None]:
    code = main(["persist", *args])
    output = Path(args[args.index("--output") + 1]) if "--output" in args else None
    written = orjson.loads(output.read_bytes()) if output and output.exists() else None
    return code, written


def test_persist_writes_one_validated_entry_per_operation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write(tmp_path, products=PRODUCTS, categories=CATEGORIES, fragments=FRAGMENTS)
    code, manifest = persist(*files, "--output", str(tmp_path / "m.json"))
    assert code == 0
    assert "wrote 3 operation(s)" in capsys.readouterr().out
    assert manifest is not None
    assert manifest["format"] == "apollo-persisted-query-manifest"
    assert manifest["version"] == 1
    operations = manifest["operations"]
    assert [(op["name"], op["type"]) for op in operations] == [
        ("AdjustStock", "mutation"),
        ("CategoryList", "query"),
        ("ProductPage", "query"),
    ]
    for op in operations:
        assert op["id"] == hashlib.sha256(op["body"].encode()).hexdigest()
        document = parse(op["body"])
        assert validate(schema._schema, document) == []
        first = document.definitions[0]
        assert isinstance(first, OperationDefinitionNode)
        assert first.name is not None
        assert first.name.value == op["name"]
    by_name = {op["name"]: op["body"] for op in operations}
    # Each body holds the fragments its operation uses, from any file, and no others.
    assert "fragment CategoryName" in by_name["ProductPage"]
    assert "fragment ProductCard" in by_name["ProductPage"]
    assert "fragment" not in by_name["AdjustStock"]
    assert "ProductCard" not in by_name["CategoryList"]
    assert all("NeverUsed" not in body for body in by_name.values())
    assert by_name["CategoryList"] == (
        "query CategoryList {\n  categories {\n    nodes {\n      ...CategoryName\n    }\n  }\n}"
        "\n\nfragment CategoryName on Category {\n  name\n}"
    )


def test_the_manifest_does_not_depend_on_the_order_of_the_files(tmp_path: Path) -> None:
    files = write(tmp_path, products=PRODUCTS, categories=CATEGORIES, fragments=FRAGMENTS)
    _, forward = persist(*files, "--output", str(tmp_path / "a.json"))
    _, backward = persist(*reversed(files), "--output", str(tmp_path / "b.json"))
    assert forward == backward


def test_the_default_output_is_persisted_operations_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = write(tmp_path, only="query Only { __typename }")
    assert main(["persist", *files]) == 0
    manifest = orjson.loads((tmp_path / "persisted-operations.json").read_bytes())
    assert [op["body"] for op in manifest["operations"]] == ["query Only {\n  __typename\n}"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "good": PRODUCTS,
                "fragments": FRAGMENTS,
                "bad": "query Bad {\n  products { nope }\n}",
            },
            ["bad.graphql:2:14: Cannot query field 'nope' on type 'ProductConnection'"],
        ),
        (
            {"broken": "query Broken { products(first: ) { totalCount } }"},
            ["broken.graphql:1:32: Syntax Error"],
        ),
        (
            {"products": PRODUCTS},  # its fragment is in no given file
            ["products.graphql:4:40: Unknown fragment 'ProductCard'."],
        ),
        (
            {"anonymous": "{ __typename }"},
            ["anonymous.graphql:1:1: a persisted operation needs a name"],
        ),
        (
            {"one": "query Same { __typename }", "two": "\nquery Same { __typename }"},
            ["two.graphql:2:1: 'Same' is already defined in ", "one.graphql"],
        ),
        (
            {"schema": "type Extra { id: ID }"},
            ["schema.graphql:1:1: only operations and fragments can be persisted"],
        ),
        ({"fragments": FRAGMENTS}, ["no operations in the given files"]),
    ],
)
def test_persist_refuses_an_invalid_operation_naming_the_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    expected: list[str],
) -> None:
    output = tmp_path / "m.json"
    code, written = persist(*write(tmp_path, **files), "--output", str(output))
    assert code == 1
    assert written is None
    err = capsys.readouterr().err
    assert err.startswith("storefront persist: nothing written:")
    for part in expected:
        assert part in err


def test_persist_reports_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.graphql"
    assert main(["persist", str(missing), "--output", str(tmp_path / "m.json")]) == 1
    assert f"cannot read {missing}: No such file or directory" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "STOREFRONT_PERSISTED_QUERIES=trusted-only needs"),
        (["--persisted-queries-manifest", "nowhere.json"], "cannot read the persisted-operation"),
    ],
)
def test_serve_refuses_to_start_trusted_only_without_a_usable_manifest(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env, and nothing to find
    monkeypatch.delenv("STOREFRONT_PERSISTED_QUERIES_MANIFEST", raising=False)
    # Refused before a database is started or a port is bound.
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["serve", "--persisted-queries", "trusted-only", *options]) == 2
    assert message in capsys.readouterr().err
