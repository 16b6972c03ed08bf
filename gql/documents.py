"""Parsed and validated documents, cached by their text.

Parsing and validating costs milliseconds per request; the same few documents arrive again
and again, and a document's validity depends only on its text and the schema.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

MAX_TOKENS = 5000


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed document (None when it did not parse) and the errors that stop it from
    running; it may run only when `errors` is empty."""

    document: DocumentNode | None
    errors: list[GraphQLError]
    parsed: bool


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, *, size: int = 512) -> None:
        self.schema = schema
        self.size = size
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    def get(self, query: str) -> Prepared:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        entry = self._prepare(query)
        self._entries[query] = entry
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return Prepared(document=None, errors=[error], parsed=False)
        errors = validate(self.schema, document)
        return Prepared(document=document, errors=errors, parsed=True)
