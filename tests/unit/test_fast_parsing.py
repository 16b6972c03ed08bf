"""The parser over flat token lists gives graphql-core's document, node for node and
location for location, and what it does not read answers as the parser built on
graphql-core's does: the same document, or the same error at the same place.

The documents: every string written in the tests and the benches that parses or nearly
does, the hostile documents, the GraphiQL examples, the Relay and Apollo documents, generated
queries and random documents of every form, and each of them damaged."""

from __future__ import annotations

import ast
import contextlib
import random
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from graphql import DocumentNode, GraphQLError, Node, parse
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from bench import hostile_documents
from engine import parsing
from engine.fast_parsing import fast_parse
from engine.fast_values import Unhandled
from engine.limits import QueryLimits
from gql.schema import schema

ROOT = Path(__file__).parents[2]
ROOMY = QueryLimits(max_depth=60, max_tokens=40_000, max_directives=5_000, max_selections=9_000)
TIGHT = QueryLimits(
    max_depth=3, max_tokens=60, max_directives=2, max_operations=2, max_selections=12
)
_TEMPLATE = re.compile(r"(?:graphql|gql)`([^`]*)`")


def _python_strings(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


@cache
def written() -> tuple[str, ...]:
    """Every text of the tests, the benches and the clients' documents that may be one."""
    found: list[str] = []
    for folder in ("tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += (text for text in _python_strings(path) if "{" in text)
    for pattern in ("tests/relay/src/*.js", "tests/e2e/*.mjs"):
        for path in sorted(ROOT.glob(pattern)):
            found += _TEMPLATE.findall(path.read_text())
    found += (path.read_text() for path in sorted(ROOT.glob("server/graphiql/examples/*")))
    for documents in (hostile_documents.REFUSED, hostile_documents.INSIDE):
        found += (document(1) for document in documents.values())
    return tuple(dict.fromkeys(text for text in found if len(text) <= 65_536))


def random_value(rng: random.Random, depth: int = 0) -> str:
    kinds = ["int", "float", "string", "escaped", "block", "enum", "variable", "literal"]
    kind = rng.choice([*kinds, "list", "object"] if depth < 3 else kinds)
    if kind == "list":
        return "[" + " ".join(random_value(rng, depth + 1) for _ in range(rng.randrange(3))) + "]"
    if kind == "object":
        fields = (f"f{i}: {random_value(rng, depth + 1)}" for i in range(rng.randrange(3)))
        return "{" + ", ".join(fields) + "}"
    return {
        "int": lambda: rng.choice(["0", "-7", "123456789012345678901234567890"]),
        "float": lambda: rng.choice(["1.5", "-0.25e10", "3E-2", "0.0", "6e+3"]),
        "string": lambda: rng.choice(['""', '"plain"', '"é 😀 \t ok"', '"a # b"']),
        "escaped": lambda: rng.choice([r'"\n\"\\\/\u00e9"', r'"\uD83D\uDE00"', r'"\u{1F600}"']),
        "block": lambda: rng.choice(['"""\n    one\n      two\n  """', '"""a "" b"""', '""""""']),
        "enum": lambda: rng.choice(["RED", "on", "query", "truely", "nulls"]),
        "variable": lambda: "$v" + str(rng.randrange(3)),
        "literal": lambda: rng.choice(["true", "false", "null"]),
    }[kind]()


def random_document(rng: random.Random) -> str:
    """A document of every executable form, blanks, commas and comments between tokens."""

    def directives() -> str:
        return "".join(f" @d{i}(if: {random_value(rng)})" for i in range(rng.randrange(-2, 2)))

    def selections(depth: int) -> str:
        out = []
        for _ in range(rng.randrange(1, 5)):
            pick = rng.randrange(6 if depth < 4 else 3)
            arguments = f"(a: {random_value(rng)}, b: {random_value(rng)})" if pick == 1 else ""
            if pick in (0, 1, 2):
                alias = "al: " if rng.random() < 0.3 else ""
                out.append(f"{alias}f{rng.randrange(9)}{arguments}{directives()}")
            elif pick == 3:
                out.append(f"...F{rng.randrange(2)}{directives()}")
            elif pick == 4:
                condition = rng.choice(["", " on T"])
                out.append(f"...{condition}{directives()} {{ {selections(depth + 1)} }}")
            else:
                out.append(f"g{arguments} {{ {selections(depth + 1)} }}")
        return rng.choice([" ", ", ", "\n", " # note\n", "\r\n\t"]).join(out)

    definitions = []
    for index in range(rng.randrange(1, 4)):
        form = rng.randrange(3)
        if form == 0:
            definitions.append(f"{{ {selections(0)} }}")
        elif form == 1:
            variables = f"($v0: [In!]! = {random_value(rng)}, $v1: T @c, $v2: Int = 3)"
            head = f"{rng.choice(['query', 'mutation', 'subscription'])} Q{index}"
            definitions.append(f"{head}{variables}{directives()} {{ {selections(0)} }}")
        else:
            definitions.append(f"fragment F{index} on T{directives()} {{ {selections(0)} }}")
    return "\ufeff# start\n" + "\n\n".join(definitions) + rng.choice(["", "\n", " # end"])


def damaged(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    how = rng.randrange(3)
    if how == 0:
        return text[:at] + text[at + 1 :]
    if how == 1:
        return text[:at] + rng.choice('{}()[]:$@!."\\#=|&-0aé\x07\ud800') + text[at:]
    return text[:at]


@cache
def generated() -> tuple[str, ...]:
    rng = random.Random(23)
    documents = [random_document(rng) for _ in range(400)]
    return tuple(documents + [damaged(text, rng) for text in documents + list(written())])


def located(node: Node) -> Iterator[tuple[str, int, int]]:
    """Each node's kind and place, every node of the tree."""
    assert node.loc is not None
    yield node.kind, node.loc.start, node.loc.end
    for key in node.keys:
        value = getattr(node, key)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, Node):
                yield from located(child)


def assert_same_document(ours: DocumentNode, theirs: DocumentNode) -> None:
    assert list(located(ours)) == list(located(theirs))
    assert ours == theirs
    assert ours.token_count == theirs.token_count
    assert ours.loc is not None
    assert theirs.loc is not None
    assert ours.loc.source.body == theirs.loc.source.body


def fast_equals_graphql_core(texts: tuple[str, ...]) -> int:
    """How many of `texts` the fast parser reads; each one as graphql-core does."""
    read = 0
    for text in texts:
        try:
            ours = fast_parse(text, ROOMY)
        except Unhandled:
            continue
        assert_same_document(ours, parse(text))
        read += 1
    return read


def outcome(text: str, limits: QueryLimits) -> tuple[object, ...]:
    try:
        document = parsing.parse_document(text, limits)
    except GraphQLError as error:
        return (
            type(error),
            error.message,
            error.locations,
            error.positions,
            getattr(error.source, "body", None),
        )
    return (document, document.token_count)


def _never(text: str, limits: QueryLimits) -> DocumentNode:
    raise Unhandled


def assert_answers_as_before(texts: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    for limits in (QueryLimits(), TIGHT):
        ours = [outcome(text, limits) for text in texts]
        with monkeypatch.context() as patch:
            patch.setattr(parsing, "fast_parse", _never)
            before = [outcome(text, limits) for text in texts]
        for text, mine, theirs in zip(texts, ours, before, strict=True):
            assert mine == theirs, text


def test_written_documents_parse_as_graphql_core_parses_them() -> None:
    texts = written()
    read = fast_equals_graphql_core(texts)
    assert len(texts) > 500
    assert read > len(texts) // 3  # most strings of the tests are no documents at all
    for document in hostile_documents.INSIDE.values():
        fast_parse(document(1), QueryLimits())  # the worst inside the limits: read here


def test_generated_documents_parse_as_graphql_core_parses_them() -> None:
    texts = generated()
    fast_equals_graphql_core(texts)
    for text in texts[:400]:  # undamaged: read unless graphql-core refuses them
        if "\\u{" not in text:  # graphql-core's own escape, left to it
            with contextlib.suppress(GraphQLError):
                parse(text)
                fast_parse(text, ROOMY)


def test_written_documents_answer_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_answers_as_before(written(), monkeypatch)


def test_generated_and_damaged_documents_answer_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert_answers_as_before(generated(), monkeypatch)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(query=queries(schema._schema))
def test_schema_generated_queries_parse_as_graphql_core_parses_them(query: str) -> None:
    assert_same_document(fast_parse(query, ROOMY), parse(query))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('"described" query { a }', "a description"),
        ("type T { a: Int }", "the type system"),
        ('{ a(s: """back\\slash""") }', "a backslash in a block string"),
        ('{ a(s: "\\uD800") }', "a lone surrogate"),
        ("{ a(x: 01) }", "a syntax error"),
        ("{ a }" * 51, "past the operation limit"),
        ("{ a @b @c @d }", "past the directive limit"),
    ],
)
def test_what_it_does_not_read_is_left_to_the_other_parser(text: str, why: str) -> None:
    limits = QueryLimits(max_directives=2)
    with pytest.raises(Unhandled):
        fast_parse(text, limits)
