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
from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any

from engine.http_params import GraphQLParams, HttpError

# A cached miss would keep hiding a document after the client registers it.
NO_CACHE = "private, no-cache, must-revalidate"
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


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
