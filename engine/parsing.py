"""The parser of `engine.fast_parsing`, and when it does not read a text, graphql-core's,
stopping at the limits (`engine.limits`) as it reads."""

from __future__ import annotations

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLSyntaxError,
    Location,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    Source,
    Token,
    TokenKind,
)
from graphql.language.parser import Parser, nested_too_deeply_error

from engine.fast_parsing import fast_parse
from engine.fast_values import Unhandled, made
from engine.lexing import RunLexer
from engine.limits import TYPE_WRAPPER, QueryLimits, TooComplex, size_error
from engine.prescan import prescan


def parse_document(text: str, limits: QueryLimits) -> DocumentNode:
    """The parsed document; `TooComplex` past the length, token, depth, directive or operation
    limit, else the parser's `GraphQLSyntaxError` when it does not parse."""
    if len(text) > limits.max_document_chars:
        raise size_error(len(text), limits)
    prescan(text, limits)  # first: refuses what is over most limits for less than a parse
    try:
        return fast_parse(text, limits)
    except Unhandled:
        pass  # past a limit, a syntax error or a rarer form: graphql-core's says which
    parser = _DepthLimitedParser(text, limits)
    try:
        return parser.parse_document()
    except GraphQLSyntaxError as error:
        if error.description == _token_limit_description(limits.max_tokens):
            raise TooComplex(
                f"the document has more than {limits.max_tokens} tokens (comments count "
                f"too); at most {limits.max_tokens} are allowed",
                source=error.source,
                positions=error.positions,
            ) from None
        raise
    except RecursionError:
        # How graphql-core's parser signals nesting past its own bound (as `parse` does).
        pass
    finally:
        _unlink(parser._lexer.token)
    raise nested_too_deeply_error(parser)


def _unlink(token: Token | None) -> None:
    """Breaks the chain the lexer links its tokens in, each to the next and back: nothing
    reads it once the document is parsed, and its cycles left every parsed document to
    the cyclic collector, long after its cache entry (or the request) let it go."""
    ahead = token.next if token is not None else None
    while ahead is not None:  # read ahead of the last token the parser took
        ahead.prev, ahead.next, ahead = None, None, ahead.next
    while token is not None:
        token.next, token.prev, token = None, None, token.prev


_AFTER_A_PLAIN_FIELD = frozenset({TokenKind.NAME, TokenKind.BRACE_R, TokenKind.SPREAD})
"""Tokens that end a field at its name: the next field, a spread, or the set's end."""


def _token_limit_description(max_tokens: int) -> str:
    # graphql-core's wording, pinned by a unit test: its syntax errors carry no kind.
    return f"Document contains more than {max_tokens} tokens. Parsing aborted."


class _DepthLimitedParser(Parser):
    """graphql-core's parser, refusing a field nested deeper than `max_depth` levels
    before it reads the field's selection set, and the directive past `max_directives` and
    the operation past `max_operations`."""

    def __init__(self, text: str, limits: QueryLimits) -> None:
        source = Source(text)
        super().__init__(source, max_tokens=limits.max_tokens, lexer=RunLexer(source))
        self.max_depth = limits.max_depth
        self.max_directives = limits.max_directives
        self.max_operations = limits.max_operations
        self._levels = 0
        self._directives = 0
        self._operations = 0

    def parse_operation_definition(self) -> OperationDefinitionNode:
        self._operations += 1
        self._refuse_past(self._operations, self.max_operations, "holds", "operations")
        return super().parse_operation_definition()

    def parse_directive(self, is_const: bool) -> DirectiveNode:
        self._directives += 1
        self._refuse_past(self._directives, self.max_directives, "uses", "directives")
        return super().parse_directive(is_const)

    def _refuse_deeper(self, level: int, start: Token) -> None:
        if level > self.max_depth:
            raise TooComplex(
                f"the query nests fields more than {self.max_depth} levels deep; "
                f"at most {self.max_depth} are allowed",
                source=self._lexer.source,
                positions=[start.start],
            )

    def _refuse_past(self, count: int, limit: int, verb: str, things: str) -> None:
        """Stops reading, at the current token, once `count` has passed `limit`."""
        if count > limit:
            raise TooComplex(
                f"the document {verb} more than {limit} {things}; at most {limit} are allowed",
                source=self._lexer.source,
                positions=[self._lexer.token.start],
            )

    def parse_field(self) -> FieldNode:
        # graphql-core's parse_field, counting levels between the name and the selections.
        start = self._lexer.token
        name_or_alias = self.parse_name()
        alias: NameNode | None = None
        name = name_or_alias
        arguments = directives = selection_set = None
        if self._lexer.token.kind in _AFTER_A_PLAIN_FIELD:
            # A name alone (most fields): nothing more to look for, where graphql-core
            # looks four times at the next token for what the field lacks; the field
            # spans its name, so it takes the name's location (an equal one).
            self._refuse_deeper(self._levels + (name.value != TYPE_WRAPPER[1]), start)
            loc = name.loc
        else:
            if self.expect_optional_token(TokenKind.COLON):
                alias, name = name_or_alias, self.parse_name()
            level = self._levels + (name.value != TYPE_WRAPPER[1])
            self._refuse_deeper(level, start)
            arguments = self.parse_arguments(False)
            directives = self.parse_directives(False)
            if self.peek(TokenKind.BRACE_L):
                outer, self._levels = self._levels, level
                try:
                    selection_set = self.parse_selection_set()
                finally:
                    self._levels = outer
            loc = self.loc(start)
        return made(
            FieldNode,
            {
                "alias": alias,
                "name": name,
                "arguments": arguments,
                "directives": directives,
                "selection_set": selection_set,
                "loc": loc,
            },
        )

    def parse_selection(self) -> SelectionNode:
        # A name begins a field: no look for a spread first.
        if self._lexer.token.kind is TokenKind.NAME:
            return self.parse_field()
        return super().parse_selection()

    def parse_name(self) -> NameNode:
        # graphql-core's parse_name, the node made as `made` makes it: the commonest node.
        token = self._lexer.token
        if token.kind is not TokenKind.NAME:
            self.expect_token(TokenKind.NAME)  # graphql-core's error
        self.advance_lexer()
        location = Location(token, token, self._lexer.source)  # what `self.loc(token)` makes
        return made(NameNode, {"value": token.value, "loc": location})
