"""Persisted-operation manifests: `storefront persist` writes one from operation files,
and the server loads it (`engine.persisted` runs its operations).

The format is Apollo's persisted query manifest: every operation with its id (the SHA-256 of
its body), name, type and body, the body holding the fragments it uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    Source,
    parse,
    print_ast,
    separate_operations,
    validate,
)

from engine.persisted import sha256_hex

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_Definition = TypeVar("_Definition", OperationDefinitionNode, FragmentDefinitionNode)


class ManifestError(Exception):
    """A manifest that cannot be written or used; the message names the file."""


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    id: str
    name: str
    type: str
    body: str


def build_manifest(sources: Iterable[tuple[str, str]], schema: GraphQLSchema) -> dict[str, Any]:
    """The manifest of every operation in `sources` (file name, text), validated.

    The unit is the operation: each named operation becomes one self-contained document,
    the operation followed by the fragments it uses (from any of the files) in name order,
    printed in graphql-js's canonical format. Its id is the SHA-256 of exactly that body.
    """
    operations, fragments = _definitions(sources)
    combined = DocumentNode(definitions=(*operations, *fragments.values()))
    problems: list[str] = []
    entries: list[ManifestOperation] = []
    for name, separated in separate_operations(combined).items():
        operation, *used = separated.definitions
        assert isinstance(operation, OperationDefinitionNode)
        document = DocumentNode(
            definitions=(operation, *sorted(used, key=_definition_name)),
        )
        errors = validate(schema, document)
        if errors:
            problems.extend(_located(error) for error in errors)
            continue
        body = print_ast(document)
        entries.append(
            ManifestOperation(
                id=sha256_hex(body), name=name, type=operation.operation.value, body=body
            )
        )
    if problems:
        raise ManifestError("\n".join(problems))
    return {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "operations": [
            {"id": e.id, "name": e.name, "type": e.type, "body": e.body}
            for e in sorted(entries, key=lambda e: e.name)
        ],
    }


def _definitions(
    sources: Iterable[tuple[str, str]],
) -> tuple[list[OperationDefinitionNode], dict[str, FragmentDefinitionNode]]:
    operations: dict[str, OperationDefinitionNode] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    problems: list[str] = []
    for file_name, text in sources:
        try:
            document = parse(Source(text, file_name))
        except GraphQLError as error:
            problems.append(_located(error))
            continue
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                _collect(operations, definition, problems)
            elif isinstance(definition, FragmentDefinitionNode):
                _collect(fragments, definition, problems)
            else:
                problems.append(_at(definition, "only operations and fragments can be persisted"))
    if not problems and not operations:
        problems.append("no operations in the given files")
    if problems:
        raise ManifestError("\n".join(problems))
    return list(operations.values()), fragments


def _collect(table: dict[str, _Definition], definition: _Definition, problems: list[str]) -> None:
    if definition.name is None:
        problems.append(_at(definition, "a persisted operation needs a name"))
        return
    name = definition.name.value
    if name in table:
        problems.append(_at(definition, f"{name!r} is already defined in {_file(table[name])}"))
        return
    table[name] = definition


def _definition_name(definition: Any) -> str:
    return str(definition.name.value)


def _file(node: Any) -> str:
    return str(node.loc.source.name) if node.loc else "?"


def _at(node: Any, message: str) -> str:
    location = node.loc.source.get_location(node.loc.start) if node.loc else None
    where = f":{location.line}:{location.column}" if location else ""
    return f"{_file(node)}{where}: {message}"


def _located(error: GraphQLError) -> str:
    name = error.source.name if error.source else "?"
    where = "".join(f":{loc.line}:{loc.column}" for loc in (error.locations or [])[:1])
    return f"{name}{where}: {error.message}"


def load_manifest(path: Path) -> dict[str, str]:
    """Hash → body of every operation of the manifest at `path`, each hash checked."""
    try:
        manifest = orjson.loads(path.read_bytes())
    except OSError as error:
        raise ManifestError(
            f"cannot read the persisted-operation manifest {path}: {error.strerror}"
        ) from None
    except orjson.JSONDecodeError:
        raise ManifestError(f"the persisted-operation manifest {path} is not JSON") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("version") != 1
        or not isinstance(manifest.get("operations"), list)
    ):
        raise ManifestError(
            f"{path} is not a persisted-operation manifest (format {MANIFEST_FORMAT!r}, "
            "version 1, a list of operations): write it with `storefront persist`"
        )
    bodies: dict[str, str] = {}
    for index, operation in enumerate(manifest["operations"]):
        body = operation.get("body") if isinstance(operation, dict) else None
        if not isinstance(body, str) or operation.get("id") != sha256_hex(body):
            raise ManifestError(
                f"{path}: operation {index} needs a `body` and an `id` that is its SHA-256"
            )
        bodies[operation["id"]] = body
    return bodies


def manifest_names(path: Path) -> list[str]:
    """The operation names of a manifest `load_manifest` accepted."""
    manifest = orjson.loads(path.read_bytes())
    return [str(op["name"]) for op in manifest["operations"] if isinstance(op.get("name"), str)]
