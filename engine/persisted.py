"""Persisted operations: automatic persisted queries (Apollo's APQ protocol) and a
trusted-only mode that runs nothing but the operations of a manifest.

A request names a document by `extensions.persistedQuery = {"version": 1, "sha256Hash": hex}`,
the SHA-256 of the document's exact UTF-8 text. With the hash alone the server runs the text
it holds under that hash, or answers `PersistedQueryNotFound` so the client resends hash and
text; with both, the text must match the hash and is remembered for next time.

Remembered documents live in a bounded LRU in each process: servers keep no state outside
PostgreSQL, and a client whose hash was forgotten (or went to another worker) just registers
it again. Manifest operations (`storefront persist`) are known in every process from the
start and never forgotten. In trusted-only mode they are all the server runs: any other text
is refused before it is parsed, and nothing can be registered.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
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

from engine.http_params import GraphQLParams, HttpError

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
# A cached miss would keep hiding a document after the client registers it.
NO_CACHE = "private, no-cache, must-revalidate"
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_Definition = TypeVar("_Definition", OperationDefinitionNode, FragmentDefinitionNode)


class Mode(StrEnum):
    OFF = "off"
    APQ = "apq"
    TRUSTED_ONLY = "trusted-only"


class DocumentUnavailable(Exception):
    """The request names a document by hash only and the server cannot supply its text.

    The message and code are the ones Apollo clients match to resend the document's text
    (`PersistedQueryNotFound`) or to stop hashing (`PersistedQueryNotSupported`).
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ManifestError(Exception):
    """A manifest that cannot be written or used; the message names the file."""


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PersistedOperations:
    """Maps hashes to document texts and decides which texts may run.

    `manifest` maps each manifest operation's hash to its body. Registered documents are
    bounded both in number and in total characters, least recently used first out.
    """

    def __init__(
        self,
        *,
        mode: Mode = Mode.APQ,
        manifest: Mapping[str, str] | None = None,
        max_documents: int = 10_000,
        max_chars: int = 32 << 20,
    ) -> None:
        self.mode = mode
        self.max_documents = max_documents
        self.max_chars = max_chars
        self._manifest = dict(manifest or {})
        self._registered: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    def resolve(self, params: GraphQLParams) -> GraphQLParams:
        """The request's parameters with the text of the document to run.

        Raises `DocumentUnavailable` for a hash without a known text and `HttpError` for a
        malformed extension, a hash that does not match the text, or (trusted-only) a text
        that is not in the manifest. Runs before the text is parsed.
        """
        if self.mode is Mode.OFF:
            if not params.query:
                raise DocumentUnavailable(
                    "PersistedQueryNotSupported", code="PERSISTED_QUERY_NOT_SUPPORTED"
                )
            return params
        requested = _requested_hash(params.extensions)
        if not params.query:
            # http_params lets `query` be absent only when a persisted query is named.
            assert requested is not None
            text = self._lookup(requested)
            if text is None:
                raise DocumentUnavailable(
                    "PersistedQueryNotFound", code="PERSISTED_QUERY_NOT_FOUND"
                )
            return replace(params, query=text)
        if requested is None and self.mode is not Mode.TRUSTED_ONLY:
            return params  # an ordinary request: nothing to check, nothing to hash
        actual = sha256_hex(params.query)
        if requested is not None and requested != actual:
            raise HttpError(
                400,
                "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query` "
                "(the lowercase hex digest of the exact UTF-8 text sent)",
                code="PERSISTED_QUERY_HASH_MISMATCH",
            )
        if self.mode is Mode.TRUSTED_ONLY:
            if actual not in self._manifest:
                raise HttpError(
                    403,
                    "this server runs only the operations of its persisted-operation manifest, "
                    "and this document is not one of them (new documents cannot be registered)",
                    code="PERSISTED_QUERY_NOT_IN_LIST",
                )
        elif requested is not None:
            self._register(actual, params.query)
        return params

    def _lookup(self, digest: str) -> str | None:
        text = self._manifest.get(digest)
        if text is not None or self.mode is Mode.TRUSTED_ONLY:
            return text
        text = self._registered.get(digest)
        if text is not None:
            self._registered.move_to_end(digest)
        return text

    def _register(self, digest: str, text: str) -> None:
        if digest in self._manifest:
            return
        if digest in self._registered:
            self._registered.move_to_end(digest)
            return
        if len(text) > self.max_chars:
            return  # runs, but is not worth the room of everything else
        self._registered[digest] = text
        self._chars += len(text)
        while len(self._registered) > self.max_documents or self._chars > self.max_chars:
            _, evicted = self._registered.popitem(last=False)
            self._chars -= len(evicted)


def _requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The lowercase hash named by `extensions.persistedQuery`, None when there is none."""
    if not extensions or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise HttpError(
            400, "`extensions.persistedQuery` must be an object with `version` and `sha256Hash`"
        )
    version = persisted.get("version")
    if type(version) is not int or version != 1:
        raise HttpError(
            400,
            "`extensions.persistedQuery.version` must be 1, the only version supported",
            code="PERSISTED_QUERY_NOT_SUPPORTED",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise HttpError(
            400, "`extensions.persistedQuery.sha256Hash` must be a SHA-256 digest in hex"
        )
    return digest.lower()


# The manifest


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
