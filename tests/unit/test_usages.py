"""Variable usages found directly are graphql-core's: the same variables, in its order, with
the same types, parent types and default values."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    ExecutableDefinitionNode,
    GraphQLError,
    TypeInfo,
    parse,
)
from graphql.validation import ValidationContext

from engine.usages import variable_usages
from gql.schema import schema

SCHEMA = schema._schema

DOCUMENTS = [
    "query Q($f: ProductFilter) { ...P } fragment P on Query {"
    + " ".join(f"a{i}: products(filter: $f) {{ totalCount }}" for i in range(3))
    + " }",
    "query Q($a: ID!, $b: Boolean!) @skip(if: $b) { product(id: $a) @include(if: $b) "
    "{ name ... on Product @skip(if: $b) { sku } ...F @include(if: $b) } }",
    "query Q($n: String, $i: Int) { products(first: $i, filter: { name: { contains: $n }, "
    "or: [{ sku: { eq: $n } }, { stock: { in: [$i, 2] } }], not: { price: { gte: $n } } }, "
    "orderBy: [{ field: NAME, direction: $n }]) { nodes { name } } }",
    "query Q($a: Int) { nope(x: $a) { y(z: [$a]) } product(nope: $a, id: { q: $a }) "
    "{ name(w: $a) } __typename @unknown(first: $a) }",
    "query Q($a: Int) { products(first: 1) { nodes @unknown(first: $a) { id } } }",
    "query Q($a: Int) { products(first: 1) { ... { nodes { id } } ... on Nope { x(y: $a) } "
    "... on Product { name } } }",
    "mutation M($a: ID!) { __typename } subscription S($a: ID!) { __typename }",
    "fragment F on Product { name @include(if: $x) ...G @skip(if: $y) } "
    "fragment G on Nope { a(b: $z) }",
    "query Q($a: [Int] = [1]) { products(first: $a, orderBy: $a) { totalCount } }",
]


def _plain(usages: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            u.node.loc.start,
            u.node.name.value,
            str(u.type),
            str(u.parent_type),
            repr(u.default_value),
            u.fragment_variable_definition,
        )
        for u in usages
    ]


def _errors(_error: GraphQLError) -> None:
    pass


@pytest.mark.parametrize("text", DOCUMENTS)
def test_usages_are_graphql_cores(text: str) -> None:
    document = parse(text)
    context = ValidationContext(SCHEMA, document, TypeInfo(SCHEMA), _errors)
    context._type_info.enter(document)
    found = 0
    for definition in document.definitions:
        assert isinstance(definition, ExecutableDefinitionNode)
        ours = variable_usages(SCHEMA, definition)  # type: ignore[arg-type]
        assert ours is not None
        theirs = context.get_variable_usages(definition)  # type: ignore[arg-type]
        assert _plain(ours) == _plain(theirs)
        found += len(ours)
    assert found or text.startswith("mutation")


def test_fragment_arguments_are_left_to_graphql_core() -> None:
    document = parse(
        "fragment F($a: Int) on Query { products(first: $a) { totalCount } }",
        experimental_fragment_arguments=True,
    )
    definition = document.definitions[0]
    assert variable_usages(SCHEMA, definition) is None  # type: ignore[arg-type]
