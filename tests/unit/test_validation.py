"""Merged validation finds what graphql-core's finds, wherever variables are used or not."""

from __future__ import annotations

import pytest
from graphql import GraphQLError, parse, validate
from graphql.validation import NoSchemaIntrospectionCustomRule, specified_rules

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


CONFLICTS = [
    "{ " + " ".join(f'product(id: "{i}") {{ name }}' for i in range(50)) + " }",
    "{ a: product(id: 1) { name } a: products { totalCount } a: __typename }",
    "{ ...F ...G product(id: 1) { name } } fragment F on Query { product(id: 2) { name } } "
    "fragment G on Query { product(id: 3) { id: name } }",
    "{ product(id: 1) { ... on Product { x: name } x: sku } }",
    "{ products { nodes { name: sku } } products { nodes { name } } }",
]


@pytest.mark.parametrize("text", CONFLICTS)
def test_overlap_conflicts_are_graphql_cores(text: str) -> None:
    """The overlap rule that reports its conflicts as found reports graphql-core's, in
    its order; merged and bounded, what graphql-core's rule gives merged and bounded."""
    document = parse(text)
    ours = validate(SCHEMA, document, CLOSED_RULES)
    theirs = validate(SCHEMA, document, (*specified_rules, NoSchemaIntrospectionCustomRule))
    assert ours
    assert [e.formatted for e in ours] == [e.formatted for e in theirs]
    bounded = [
        validate_merged(SCHEMA, document, rules, max_errors=2, hide_suggestions=True)
        for rules in (CLOSED_RULES, (*specified_rules, NoSchemaIntrospectionCustomRule))
    ]
    assert [e.formatted for e in bounded[0]] == [e.formatted for e in bounded[1]]


POSITIONS = [
    "query Q($a: Int) { product(id: $a) { name } }",
    "query Q($a: ID, $b: ID = null, $c: ID = 1) { a: product(id: $a) { name } "
    "b: product(id: $b) { name } c: product(id: $c) { name } d: product(id: $a) { name } }",
    "query Q($f: [ProductFilter!]) { products(filter: { or: $f }) { totalCount } } "
    "query R($f: ProductFilter!) { products(filter: { or: [$f, $f] }) { totalCount } }",
    " ".join(f"query Q{i}($id: ID) {{ ...F }}" for i in range(5))
    + " fragment F on Query { a: product(id: $id) { name } b: product(id: $id) { name } }",
]


@pytest.mark.parametrize("text", POSITIONS)
def test_variable_positions_are_graphql_cores(text: str) -> None:
    document = parse(text)
    ours = validate(SCHEMA, document, CLOSED_RULES)
    theirs = validate(SCHEMA, document, (*specified_rules, NoSchemaIntrospectionCustomRule))
    assert [e.formatted for e in ours] == [e.formatted for e in theirs]
