"""The count before parsing agrees with the parser and `check_shape`, and refuses early."""

from __future__ import annotations

import random
import re

import pytest
from graphql import parse

from engine.limits import QueryLimits, TooComplex
from engine.parsing import parse_document
from engine.prescan import _NAME_OR_SPREAD, prescan

DOCUMENTS = [
    "{ a }",
    '{ a: b(x: {on: 1, c: [2, "}"]}) @d(if: true) { on ... on T { c } ...F } }',
    "query Q($v: In = {a: {b: 1}}) @x { a(v: $v) { b } } fragment F on T { a ...G }",
    '{ a(s: """ { b c d } """) # { e f }\n g }',
    "mutation { a } subscription S { b { c } } { d }",
    "{ on { on } ... @skip(if: false) { x } }",
    '{ a(s: "\\n\\n\\" } b \\\\" t: "x\\u0041\\\\\\"{") { c } d }',  # runs of escapes, quotes
    " \t,\r\n{ a\r\n b }\n\n , " + " " * 10_000,  # blanks around: nothing, however many
]


def written_selections(text: str) -> int:
    """Fields, spreads and inline fragments as graphql-core's parser finds them."""
    count = 0
    stack = [d.selection_set for d in parse(text).definitions]  # type: ignore[attr-defined]
    while stack:
        selections = stack.pop().selections
        count += len(selections)
        stack.extend(s.selection_set for s in selections if getattr(s, "selection_set", None))
    return count


@pytest.mark.parametrize("text", DOCUMENTS)
def test_selections_are_counted_as_the_parser_finds_them(text: str) -> None:
    written = written_selections(text)
    prescan(text, QueryLimits(max_selections=written))
    with pytest.raises(TooComplex, match=f"makes (at least )?{written} selections"):
        prescan(text, QueryLimits(max_selections=written - 1))


@pytest.mark.parametrize("text", DOCUMENTS)
def test_tokens_are_counted_as_the_parser_counts_them(text: str) -> None:
    tokens = parse(text).token_count
    prescan(text, QueryLimits(max_tokens=tokens))
    with pytest.raises(TooComplex, match=f"more than {tokens - 1} tokens"):
        prescan(text, QueryLimits(max_tokens=tokens - 1))


def test_directives_and_operations_are_refused_where_the_parser_would_stop() -> None:
    text = "{ a @x @y @z }"
    with pytest.raises(TooComplex, match="more than 2 directives") as refused:
        prescan(text, QueryLimits(max_directives=2))
    assert [(at.line, at.column) for at in refused.value.locations or []] == [(1, 11)]
    with pytest.raises(TooComplex, match="more than 1 operations"):
        prescan("query A { a } query B { a }", QueryLimits(max_operations=1, max_selections=3))


def test_a_document_over_the_selections_is_refused_before_it_is_parsed() -> None:
    # Unclosed at the end: the parser would find a syntax error, but only after building
    # 2,000 fields; the count refuses it first.
    with pytest.raises(TooComplex, match="makes 2000 selections"):
        parse_document("{ " + "a " * 2000, QueryLimits())


def test_what_the_expression_cannot_split_is_left_to_the_parser() -> None:
    for text in ('{ a(s: "unterminated) ' + "b " * 20, "{ a % " + "b " * 20):
        prescan(text, QueryLimits(max_selections=10))  # no verdict


def test_the_quick_count_finds_every_name_and_spread() -> None:
    # Below the selection limit in names and spreads, a document is within it: the quick
    # expression must find each one the plain one does.
    plain = re.compile(r"[_A-Za-z][_0-9A-Za-z]*|\.\.\.")
    chosen = random.Random(23)
    for _ in range(5000):
        text = "".join(chosen.choice("a_.9 Z\n@b..") for _ in range(chosen.randint(0, 40)))
        assert [m[0] for m in _NAME_OR_SPREAD.finditer(text)] == plain.findall(text), text
