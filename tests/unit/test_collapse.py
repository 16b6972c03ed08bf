"""Validation of the copy without repeated selections answers exactly as validation of the
document: the same errors, at the same locations, whatever the document repeats."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from graphql import DocumentNode, parse, print_ast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from engine.collapse import collapse
from engine.documents import CLOSED_RULES
from engine.validation import validate_merged
from gql.schema import schema

SCHEMA = schema._schema
LEAF = re.compile(r"^(\.\.\.)?[_A-Za-z]\w*(: [_A-Za-z]\w*)?$")  # a field or spread, alone


def answers(document: DocumentNode, *, collapsed: bool) -> list[tuple[str, list[tuple[int, int]]]]:
    twins = None
    if collapsed:
        copy = collapse(document)
        document, twins = copy.document, copy.twins
    options: dict[str, Any] = {"twins": twins} if twins else {}
    errors = validate_merged(
        SCHEMA, document, CLOSED_RULES, max_errors=20, hide_suggestions=True, **options
    )
    return [(e.message, [(loc.line, loc.column) for loc in e.locations or []]) for e in errors]


REPEATS = [
    # valid
    "{ __typename __typename }",
    "{ products(first: 1) { nodes { name name id } } products(first: 1) { nodes { name } } }",
    "query($x: Boolean!) { __typename @include(if: $x) __typename @include(if: $x) }",
    "{ ...F ...F ... on Query { ...F } ... on Query { ...F } } fragment F on Query { __typename }",
    # invalid, in the repeats and around them
    "{ aa aa { b } aa }",
    "{ products(first: 1) { nodes { name nme nme } } products(first: 1) { nodes { nme } } }",
    '{ a: product(id: "1") { name } a: product(id: "2") { name } a: product(id: "1") { name } }',
    "{ ...F ...F } fragment F on Query { __typename bad bad }",
    "{ __typename @skip(if: 1) @skip(if: 1) __typename @skip(if: 1) @skip(if: 1) }",
    "query($x: Boolean!) { __typename @include(if: $y) __typename @include(if: $y) }",
    "query($u: Int) { product(id: $u) { name } product(id: $u) { name } }",
    "{ products(first: 1) { nodes { category { nme } category { nme } } } }",
]


@pytest.mark.parametrize("text", REPEATS)
def test_repeats_answer_as_the_document_does(text: str) -> None:
    document = parse(text)
    assert answers(document, collapsed=True) == answers(document, collapsed=False)
    assert print_ast(collapse(document).document) != print_ast(document)


def test_other_directives_keep_their_repeats() -> None:
    # A label or any directive but @skip/@include may make a repeat mean something.
    text = "{ __typename @aa(label: 1) __typename @aa(label: 1) }"
    assert answers(parse(text), collapsed=True) == answers(parse(text), collapsed=False)
    assert print_ast(collapse(parse(text)).document) == print_ast(parse(text))


def test_a_document_without_repeats_is_validated_as_it_is() -> None:
    document = parse("{ products(first: 1) { nodes { name id } } }")
    assert collapse(document).document is document


def repeated(document: DocumentNode, seed: int) -> DocumentNode:
    """`document` printed with some selections written twice (or three times). Lines are
    split at newlines only: `splitlines` also splits at characters a string value may hold
    unescaped (U+2028, form feeds), and joining them with newlines broke the string."""
    lines = print_ast(document).split("\n")
    chosen = random.Random(seed)
    out: list[str] = []
    for line in lines:
        out.append(line)
        if LEAF.match(line.strip()) and chosen.random() < 0.3:
            out.extend([line] * chosen.randint(1, 2))
    return parse("\n".join(out))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(query=queries(SCHEMA), seed=st.integers(0, 1000), typo=st.booleans())
def test_generated_queries_with_repeats_answer_as_they_do(
    query: str, seed: int, typo: bool
) -> None:
    document = repeated(parse(query), seed)
    if typo:  # unknown fields and arguments, repeated with the rest
        document = parse(print_ast(document).replace("name", "nme").replace("first", "frst"))
    assert answers(document, collapsed=True) == answers(document, collapsed=False)
