"""The lexer that reads runs with regular expressions gives graphql-core's tokens and errors."""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, Source, Token, TokenKind
from graphql.language.lexer import Lexer
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from engine.lexing import RunLexer
from gql.schema import schema

DOCUMENTS = [
    "{ a }",
    ' \t,\ufeff\r\n{ a(s: "plain", t: "esc\\"aped\\u00e9", u: "") # a comment\r b }\n',
    '{ a(s: """\n    block\r\n      lines\r  """ t: """one""") }\n# last',
    '{ a(s: """with \\""" inside\n  and more""") { b } }',
    "# only a comment",
    '{ a(s: "é 😀 \\u{1F600}") }' + " " * 500 + "\n" * 30 + "{ b }",
    '{ a(s: "unterminated\n") }',
    '{ a(s: """never closed) }',
    '{ a(s: "\\x") }',
    "{ a } \x07",
    '{ a(s: "bad \ud800") }',
    "# bad \ud800 comment\n{ a }",
    '{ a(s: "x\\n\\t\\"\\\\\\/\\b\\f\\r\\u00e9\\uD83D\\uDE00 y", t: "tab\there") }',
    '{ a(s: "lone \\uD83D", t: "\\u{1F600}", u: "bad \\q") }',
    '{ a(s: "lone \\uDE00 x") }',
    "query Q($v: [In!]! = [1, -2.5e3], $w: T = {a: ENUM}) @d(x: $v) { ... on T { ...F } }",
    "fragment F on T { a_1: b(x: 1) c(y: 2)@skip(if: true) }type T implements A & B { f: I! }",
    "union U = | A | B\r\n ,\t{ a }\n\r\n , { b }\r",
    "{ a(x: 12abc) }",
    "{ a .. b }",
    "{ a(x: .5) }",
]


def tokens(lexer: Lexer) -> list[tuple[object, ...]] | str:
    out: list[tuple[object, ...]] = []
    try:
        while True:
            token: Token = lexer.advance()
            out.append((token.kind, token.start, token.end, token.line, token.column, token.value))
            if token.kind is TokenKind.EOF:
                return out
    except GraphQLSyntaxError as error:
        return f"{error.message} at {error.positions}"


def every_token(lexer: Lexer) -> list[tuple[object, ...]] | str:
    """Comments too: `advance` skips them, the token chain keeps them."""
    found = tokens(lexer)
    if isinstance(found, str):
        return found
    chain: list[tuple[object, ...]] = []
    token = lexer.token
    while token.prev is not None:
        chain.append((token.kind, token.start, token.end, token.line, token.column, token.value))
        token = token.prev
    return chain


@pytest.mark.parametrize("text", DOCUMENTS)
def test_the_same_tokens_and_errors_as_graphql_core(text: str) -> None:
    assert every_token(RunLexer(Source(text))) == every_token(Lexer(Source(text)))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(query=queries(schema._schema))
def test_generated_queries_give_the_same_tokens(query: str) -> None:
    assert every_token(RunLexer(Source(query))) == every_token(Lexer(Source(query)))
