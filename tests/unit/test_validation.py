"""Merged validation finds what graphql-core's finds, wherever variables are used or not."""

from __future__ import annotations

import pytest
from graphql import GraphQLError, parse, validate

from engine.documents import CLOSED_RULES
from engine.validation import validate_merged
from gql.schema import schema

SCHEMA = schema._schema

VARIABLES = [
    "query Q($a: Int) { product(id: $b) { name } }",
    "query Q($a: Boolean!) @skip(if: $a) { __typename }",
    "query Q($a: ID!) { ...F } fragment F on Query { product(id: $a) { name } }",
    'query Q($a: ID!) { ...F } fragment F on Query { product(id: "$a") { name } }',
    "query Q($a: ID!) {\n  # $a\n  __typename\n}",
    "query Q($a: Int) { ...F } query R { ...F } fragment F on Query { product(id: $a) { name } }",
    "query Q($a: ID!) { ...F ...G } fragment F on Query { __typename } "
    "fragment G on Query { product(id: $a) { name } }",
    "query Q($a: Boolean!) { ...F @include(if: $a) } fragment F on Query { __typename }",
    "query Q($a: Boolean!, $b: Boolean!) { __typename ...F @include(if: $a) } "
    "fragment F on Query @skip(if: $b) { __typename }",
]


def _by_message(errors: list[GraphQLError]) -> dict[str, set[tuple[int, int]]]:
    found: dict[str, set[tuple[int, int]]] = {}
    for error in errors:
        places = found.setdefault(error.message, set())
        places.update((loc.line, loc.column) for loc in error.locations or [])
    return found


@pytest.mark.parametrize("text", VARIABLES)
def test_variables_found_as_graphql_core_finds_them(text: str) -> None:
    document = parse(text)
    merged = validate_merged(SCHEMA, document, CLOSED_RULES, max_errors=20, hide_suggestions=True)
    plain = validate(SCHEMA, document, CLOSED_RULES, hide_suggestions=True)
    assert _by_message(merged) == _by_message(plain)
