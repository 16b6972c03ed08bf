"""The counters behind the query limits: tokens, depth, aliases and the cost estimate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from graphql import GraphQLSyntaxError, build_schema

from engine.cost import DEFAULT_LIST_ESTIMATE, CostModel
from engine.documents import MAX_CACHED_CHARS, DocumentCache
from engine.limits import QueryLimits, TooComplex, check_shape
from engine.parsing import parse_document
from engine.widths import check_widths

SCHEMA = build_schema("""
    type Query {
      items(first: Int, last: Int): ItemConnection!
      item: Item
      nodes(ids: [ID!]!): [Item]!
    }
    type ItemConnection { edges: [ItemEdge!]! nodes: [Item!]! totalCount: Int! }
    type ItemEdge { node: Item! cursor: String! }
    type Item {
      name: String
      parent: Item
      ofType: Item
      children(first: Int = 3): ItemConnection!
      tags: [Tag!]!
    }
    type Tag { name: String }
""")
LIMITS = QueryLimits(max_depth=4, max_aliases=3, max_tokens=200, max_cost=1000)


def nested(levels: int) -> str:
    return "{ item { " + "parent { " * (levels - 2) + "name" + " }" * levels


# Length


def test_a_document_is_refused_by_its_length_before_it_is_read() -> None:
    limits = replace(LIMITS, max_document_chars=100)
    text = "{ item { name } }" + " " * 83  # blanks, strings and comments count
    assert parse_document(text, limits).definitions
    with pytest.raises(TooComplex) as refused:
        parse_document(text + " ", limits)
    assert refused.value.message == "the document is 101 characters long; at most 100 are allowed"
    # Before the parser: what it would refuse for its syntax is refused for its length.
    with pytest.raises(TooComplex, match="101 characters long"):
        parse_document('{ item(a: "' + "\\n" * 45 + "", limits)


def test_every_document_within_the_default_length_can_be_cached() -> None:
    assert QueryLimits().max_document_chars <= MAX_CACHED_CHARS


# Tokens


def test_comments_count_as_tokens() -> None:
    text = "{ item { name } }" + "\n# a comment" * 194  # 6 tokens and 194 comments
    assert parse_document(text, LIMITS).definitions
    with pytest.raises(TooComplex, match="more than 200 tokens"):
        parse_document(text + "\n# one more", LIMITS)


def test_the_parser_stops_reading_at_the_token_limit() -> None:
    text = "{ item { name } }\n" + "# a comment\n" * 1_000_000
    with pytest.raises(TooComplex) as refused:
        parse_document(text, replace(LIMITS, max_document_chars=len(text)))
    # Where it stopped: right past the limit, not at the end of the million comments.
    [location] = refused.value.locations or []
    assert location.line == 196


def test_graphql_cores_token_error_is_recognised() -> None:
    # parse_document tells the token limit from other syntax errors by graphql-core's
    # wording; a change there must fail here rather than turn refusals into parse errors.
    with pytest.raises(TooComplex):
        parse_document("{ " + "name " * 300 + "}", LIMITS)
    with pytest.raises(GraphQLSyntaxError) as failed:
        parse_document("{ item { name }", LIMITS)
    assert not isinstance(failed.value, TooComplex)


# Depth


def test_the_parser_refuses_a_field_past_the_depth_limit() -> None:
    assert check_shape(parse_document(nested(4), LIMITS), SCHEMA, LIMITS) == []
    with pytest.raises(TooComplex, match="more than 4 levels deep; at most 4 are allowed"):
        parse_document(nested(5), LIMITS)
    with pytest.raises(TooComplex):
        parse_document(nested(200), LIMITS)


def shape_errors(text: str, limits: QueryLimits = LIMITS) -> list[str]:
    return [error.message for error in check_shape(parse_document(text, limits), SCHEMA, limits)]


def test_depth_counts_through_fragments_and_inline_fragments() -> None:
    fragments = (
        " fragment F on Item { parent { ... on Item { ...G } } } fragment G on Item { name }"
    )
    assert shape_errors("{ item { parent { ...F } } }" + fragments) == []  # 2 + parent name
    assert shape_errors("{ item { parent { parent { ...F } } } }" + fragments) == [
        "the query nests fields 5 levels deep (through fragments); at most 4 are allowed"
    ]


def test_only_introspections_oftype_adds_no_level() -> None:
    type_ref = '{ __type(name: "Item") { ' + "ofType { " * 20 + "name" + " }" * 21 + " }"
    assert shape_errors(type_ref) == []
    # Our own field of that name counts like any other.
    with_ours = "{ item { ofType { ofType { ofType { name } } } } }"
    assert shape_errors(with_ours) == [
        "the query nests fields 5 levels deep (through fragments); at most 4 are allowed"
    ]


def test_aliases_count_each_time_a_fragment_is_spread() -> None:
    fragment = " fragment F on Item { a: name }"
    assert shape_errors("{ item { ...F } x: item { ...F } }" + fragment) == []  # F, x, F
    assert shape_errors("{ item { ...F ...F } x: item { ...F } }" + fragment) == [
        "the query uses 4 aliases (a fragment's count each time it is spread); "
        "at most 3 are allowed"
    ]


def test_fragment_cycles_and_long_chains_are_counted_without_recursion() -> None:
    big = QueryLimits(max_document_chars=10**6, max_tokens=100_000, max_selections=10**7)
    assert (
        shape_errors("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", big)
        == []
    )
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(3000))
    text = "{ ...F0 } " + chain + " fragment F3000 on Query { a: item { b: name } }"
    assert shape_errors(text, big) == []
    assert CostModel(SCHEMA).plan(parse_document(text, big)).least(big) == 1


# Cost


def estimate(text: str, variables: dict[str, Any] | None = None, **limits: int) -> int:
    chosen = QueryLimits(**limits)
    plan = CostModel(SCHEMA).plan(parse_document(text, chosen))
    return plan.estimate(None, variables=variables or {}, limits=chosen)


def test_cost_of_pages() -> None:
    assert estimate("{ items { nodes { name } } }") == 1 + 20
    assert estimate("{ items { nodes { name } } }", default_page=7) == 1 + 7
    assert estimate("{ items(first: 2) { edges { node { name } cursor } } }") == 1 + 2 + 2
    # Both sizes (refused when it runs): the larger; beyond the largest page, the largest.
    assert estimate("{ items(first: 2, last: 9) { nodes { name } } }") == 1 + 9
    assert estimate("{ items(first: 5000) { nodes { name } } }") == 1 + 100
    assert estimate("{ items(first: -5) { nodes { name } } }") == 1
    # The schema's default for an argument left out.
    assert estimate("{ item { children { nodes { name } } } }") == 1 + 1 + 3


def test_cost_of_variables_and_the_least_cost_without_them() -> None:
    text = "query($n: Int, $ids: [ID!]!) { items(first: $n) { nodes { name } } nodes(ids: $ids) { name } }"  # noqa: E501
    assert estimate(text, {"n": 4, "ids": ["a", "b"]}) == (1 + 4) + 2
    plan = CostModel(SCHEMA).plan(parse_document(text, QueryLimits()))
    assert plan.uses_variables
    assert plan.least(QueryLimits()) == 1


def test_the_least_cost_is_the_costliest_operations_with_fragments_summed_once() -> None:
    text = (
        "query A { ...F } query B { ...F items(first: 3) { nodes { name } } } "
        "query C($n: Int) { items(first: $n) { nodes { ...G } } } "
        "fragment F on Query { item { parent { name } } } fragment G on Item { parent { name } }"
    )
    plan = CostModel(SCHEMA).plan(parse_document(text, QueryLimits()))
    assert plan.least(QueryLimits()) == 2 + (1 + 3)
    assert plan.estimate("C", variables={"n": 50}, limits=QueryLimits()) == 1 + 50 * 2


def test_cost_of_lists() -> None:
    assert estimate('{ nodes(ids: ["a", "b", "c"]) { name } }') == 3
    assert estimate('{ nodes(ids: "a") { name } }') == 1  # a single value is a list of one
    assert estimate("{ item { tags { name } } }") == 1 + DEFAULT_LIST_ESTIMATE
    nested = "{ items(first: 3) { nodes { children(first: 4) { nodes { tags { name } } } } } }"
    assert estimate(nested) == 1 + 3 * (1 + 1 + 4 * (1 + DEFAULT_LIST_ESTIMATE))


def test_fragments_on_a_connection_take_the_page_where_they_are_spread() -> None:
    text = """{ a: items(first: 2) { ...Page } b: items(first: 5) { ...Page ... on ItemConnection { ...Page } } }
        fragment Page on ItemConnection { nodes { ...Leaf } }
        fragment Leaf on Item { parent { name } }"""  # noqa: E501
    assert estimate(text) == (1 + 2 * 2) + (1 + 2 * 5 * 2)


def test_scalars_typename_and_introspection_cost_nothing() -> None:
    assert estimate("{ __typename item { __typename name } }") == 1
    assert estimate("{ __schema { types { fields { type { name } } } } }") == 0


# The document cache


def test_the_cache_keeps_only_documents_within_the_limits_and_its_token_budget() -> None:
    limits = replace(LIMITS, max_document_chars=2 * MAX_CACHED_CHARS)
    cache = DocumentCache(SCHEMA, limits=limits, max_tokens=20)
    assert cache.get(nested(5)).code == "QUERY_TOO_COMPLEX"
    assert cache.get("{ item {").code == "GRAPHQL_PARSE_FAILED"
    assert cache.get("{ item { name } " + " " * MAX_CACHED_CHARS + "}").code is None
    assert len(cache) == 0
    for n in range(3):  # 8 tokens each: two fit
        assert cache.get(f"{{ item {{ a{n}: name }} }}").errors == []
    assert len(cache) == 2
    prepared = cache.get("{ item { nme } }", introspection=False)
    assert prepared.code == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in prepared.errors[0].message
    assert "Did you mean" in cache.get("{ item { nme } }").errors[0].message


# Fields per object


def test_fields_per_object_stop_at_fragment_cycles() -> None:
    # Cycles are validation's to refuse; counting must end on them all the same.
    for text in (
        "{ item { ...A } } fragment A on Item { parent { ...A name } }",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A item { name } }",
    ):
        assert check_widths(parse_document(text, LIMITS), LIMITS) == []


def test_fields_per_object_merge_by_response_name_across_fragments() -> None:
    limits = QueryLimits(max_fields=2)
    text = "{ item { name } ...F } fragment F on Query { item { parent { name } tags { name } } }"
    [error] = check_widths(parse_document(text, limits), limits)
    assert error.message.startswith("the query selects 3 fields on one object (at item;")
    assert check_widths(parse_document(text.replace("{ item { name }", "{"), limits), limits) == []


def test_fields_per_object_shared_by_operations_are_counted_wherever_they_are_wider() -> None:
    """Operations that spread one fragment share its objects: each is counted again where
    more fields merge into it, or where it lies less deep (so more below it counts)."""
    limits = QueryLimits(max_fields=2, max_depth=3)
    fragment = "fragment F on Item { parent { name tags { name } } }"
    merged = f"query A {{ item {{ ...F }} }} query B {{ item {{ ...F parent {{ ofType {{ name }} }} }} }} {fragment}"  # noqa: E501
    [error] = check_widths(parse_document(merged, QueryLimits()), limits)
    assert error.message.startswith("the query selects 3 fields on one object (at item.parent;")
    fragment = "fragment F on Item { parent { parent { name tags { name } ofType { name } } } }"
    deeper_first = (
        f"query A {{ item {{ parent {{ ...F }} }} }} query B {{ item {{ ...F }} }} {fragment}"
    )
    [error] = check_widths(parse_document(deeper_first, QueryLimits()), limits)
    message = "the query selects 3 fields on one object (at item.parent.parent;"
    assert error.message.startswith(message)
    assert (
        check_widths(
            parse_document(deeper_first.replace("ofType { name }", ""), QueryLimits()), limits
        )
        == []
    )
