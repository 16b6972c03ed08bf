"""The limited parser gives graphql-core's document, node for node and location for
location, on the fields it reads by their name alone as on the rest."""

from __future__ import annotations

import contextlib
import gc

import pytest
from graphql import GraphQLError, parse
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from engine.limits import QueryLimits, TooComplex
from engine.parsing import parse_document
from gql.schema import schema

ROOMY = QueryLimits(max_depth=50, max_aliases=500, max_tokens=20_000, max_directives=500)

EVERY_KIND_OF_FIELD = (
    "query Q($v: Int) { a b { c d { __typename } } x: e(n: $v) { f } g @skip(if: true) "
    "...F h ... on T { i } j } fragment F on T { k { l } m }"
)
"""Names alone before a name, a brace, a spread and the set's end; aliases, arguments,
directives and selections after a name."""


def test_the_same_document_as_graphql_core() -> None:
    assert parse_document(EVERY_KIND_OF_FIELD, ROOMY) == parse(EVERY_KIND_OF_FIELD)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(query=queries(schema._schema))
def test_generated_queries_give_the_same_document(query: str) -> None:
    assert parse_document(query, ROOMY) == parse(query)


def test_a_field_read_by_its_name_alone_counts_its_level() -> None:
    limits = QueryLimits(max_depth=2)
    assert parse_document("{ a { b } }", limits) == parse("{ a { b } }")
    with pytest.raises(TooComplex, match="more than 2 levels deep"):
        parse_document("{ a { b { c } } }", limits)
    with pytest.raises(TooComplex, match="more than 2 levels deep"):
        parse_document("{ a { b { c d } } }", limits)


@pytest.mark.parametrize(
    "text", [EVERY_KIND_OF_FIELD, "# comment\n{ a(x: ", "{ a { b { c } } }", "{ a } # after"]
)
def test_a_document_is_freed_without_the_cyclic_collector(text: str) -> None:
    # The lexer links tokens both ways; left linked, each document parsed was garbage only
    # the cyclic collector could free, once its request (or cache entry) let it go.
    limits = QueryLimits(max_depth=2)
    gc.disable()
    try:
        gc.collect()
        with contextlib.suppress(GraphQLError):
            document = parse_document(text, limits)
            del document
        assert gc.collect() == 0
    finally:
        gc.enable()
