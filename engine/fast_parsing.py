"""A parser for the executable documents clients send, giving graphql-core's nodes.

graphql-core's parser costs 5-8 µs a token: a lexer that links a `Token` object to the next,
looks ahead by calling it, and a descent that makes a node and a `Location` of two tokens for
each word. Here one regular expression splits the whole text (in C) into two flat lists, each
token's text and start, and a descent over them makes the same nodes with the same
`loc.start` and `loc.end` (`loc.source` too; a location keeps no tokens: nothing reads them
once a document is parsed, and GraphQL errors place themselves by `start` and the source).

It reads operations and fragments (no descriptions, no type system, no fragment arguments);
anything else it raises `Unhandled` for, and so for any syntax error and any document over a
limit it counts (tokens with comments, field depth, directives, operations, written
selections, nesting): `engine.parsing` then reads the text again from the start with the
parser built on graphql-core's, so refusals and errors are word for word its own.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Location,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
    VariableDefinitionNode,
)

from engine.fast_values import NAME_START, Reader, Unhandled, location, made
from engine.lexing import BLOCK_STRING, ESCAPED_STRING, PLAIN_STRING
from engine.limits import TYPE_WRAPPER, QueryLimits

_BLANKS = r"[ \t,\ufeff\n\r]*+"
_NAME = r"[_A-Za-z][_0-9A-Za-z]*+"
# graphql-core refuses a number followed by a name's character or a dot.
_NUMBER = r"-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?(?![_A-Za-z0-9.])"
_COMMENT = r"\#[^\n\r\ud800-\udfff]*+(?=[\n\r]|\Z)"
# A quote that does not open a block string opens a string (an empty one when followed by
# one more quote, and not two).
_STRINGS = f'{BLOCK_STRING.pattern}|(?="(?!""))(?:{PLAIN_STRING.pattern}|{ESCAPED_STRING.pattern})'
_TOKEN = re.compile(
    f"{_BLANKS}(?:({_NAME}|[!$():=@\\[\\]{{}}]|\\.\\.\\.|{_NUMBER}|{_STRINGS}|{_COMMENT})"
    r"|((?s:.))|\Z)"
)
"""Blanks, then a token (group 1), a character that begins none (group 2) or the end."""

_END = " "  # what the token list ends with: no token is a blank
_OPERATIONS = {kind.value: kind for kind in OperationType}
_UNWRAPPING = TYPE_WRAPPER[1]
_new = object.__new__
_BARE_FIELD = {"alias": None, "arguments": None, "directives": None, "selection_set": None}


def fast_parse(text: str, limits: QueryLimits) -> DocumentNode:
    """The document graphql-core's parser makes of `text` (its `token_count` too), or
    `Unhandled`."""
    # Every match follows the last one: blanks, then a token, a stray character or the end.
    matches = list(islice(_TOKEN.finditer(text), limits.max_tokens + 3))
    if len(matches) > 1 and matches[-2].lastindex is None:
        matches.pop()  # blanks and the end, then the end again, empty
    if not 1 < len(matches) <= limits.max_tokens + 1 or matches[-1].lastindex is not None:
        raise Unhandled  # no token, more than the limit, or a stray character last
    texts: list[str] = [match[1] for match in matches]
    texts[-1] = _END
    if (
        None in texts
        or texts.count("@") > limits.max_directives
        or texts.count("...") > limits.max_selections  # each is a selection
    ):
        raise Unhandled  # a stray character, or more than the limits: not worth reading
    starts = [match.start(1) for match in matches]
    starts[-1] = len(text)
    count = len(texts) - 1  # comments too
    if "#" in text:
        kept = [at for at, word in enumerate(texts) if word[0] != "#"]
        texts = [texts[at] for at in kept]
        starts = [starts[at] for at in kept]
        if len(texts) == 1:
            raise Unhandled
    source = Source(text)
    try:
        document = _Descent(source, starts, texts, limits).document()
    except RecursionError:
        raise Unhandled from None
    object.__setattr__(document, "token_count", count)
    return document


class _Descent(Reader):
    """Operations, fragments and selections."""

    def document(self) -> DocumentNode:
        definitions = []
        while self.at < self.count:
            definitions.append(self.definition())
        return made(
            DocumentNode,
            {
                "definitions": tuple(definitions),
                "loc": location(self.source, 0, len(self.source.body)),
            },
        )

    def definition(self) -> OperationDefinitionNode | FragmentDefinitionNode:
        first = self.at
        word = self.texts[first]
        if word == "fragment":
            return self.fragment_definition()
        self.operations += 1
        if self.operations > self.limits.max_operations:
            raise Unhandled
        if word == "{":
            fields: dict[str, Any] = {"operation": OperationType.QUERY, "name": None}
            fields["variable_definitions"] = fields["directives"] = None
        else:
            operation = _OPERATIONS.get(word)
            if operation is None:
                raise Unhandled
            self.at += 1
            name = self.name() if self.texts[self.at][0] in NAME_START else None
            fields = {"operation": operation, "name": name}
            fields["variable_definitions"] = self.variable_definitions()
            fields["directives"] = self.directive_list(False)
        fields["selection_set"] = self.selection_set(0)
        fields["description"] = None
        fields["loc"] = self.loc(first)
        return made(OperationDefinitionNode, fields)

    def fragment_definition(self) -> FragmentDefinitionNode:
        first = self.at
        self.at += 1
        if self.texts[self.at] == "on":
            raise Unhandled
        name = self.name()
        self.expect("on")
        fields: dict[str, Any] = {"description": None, "name": name, "variable_definitions": ()}
        fields["type_condition"] = self.named_type()
        fields["directives"] = self.directive_list(False)
        fields["selection_set"] = self.selection_set(0)
        fields["loc"] = self.loc(first)
        return made(FragmentDefinitionNode, fields)

    def variable_definitions(self) -> tuple[VariableDefinitionNode, ...] | None:
        if self.texts[self.at] != "(":
            return None
        self.at += 1
        definitions = []
        while True:
            first = self.at
            variable = self.variable()
            self.expect(":")
            fields: dict[str, Any] = {"description": None, "variable": variable}
            fields["type"] = self.type_reference()
            if self.texts[self.at] == "=":
                self.at += 1
                fields["default_value"] = self.value(True)
            else:
                fields["default_value"] = None
            fields["directives"] = self.directive_list(True)
            fields["loc"] = self.loc(first)
            definitions.append(made(VariableDefinitionNode, fields))
            if self.texts[self.at] == ")":
                self.at += 1
                return tuple(definitions)

    def selection_set(self, levels: int) -> SelectionSetNode:
        """The selections of fields `levels` deep."""
        texts, starts, source = self.texts, self.starts, self.source
        first = self.at
        if texts[first] != "{":
            raise Unhandled
        self.nest()
        at = first + 1
        selections: list[Any] = []
        max_depth = self.limits.max_depth
        written, most = self.selections, self.limits.max_selections  # in all, as they come
        while (word := texts[at]) != "}":
            written += 1
            if written > most:
                raise Unhandled  # refused as soon as known: the other parser says how
            if word[0] in NAME_START and (
                (after := texts[at + 1]) == "}" or after == "..." or after[0] in NAME_START
            ):
                # A name alone (most fields): the field spans its name, and shares its location.
                if levels + (word != _UNWRAPPING) > max_depth:
                    raise Unhandled
                location = _new(Location)
                location.start = start = starts[at]
                location.end = start + len(word)
                location.source = source
                name = _new(NameNode)
                fields = name.__dict__
                fields["value"] = word
                fields["loc"] = location
                field = _new(FieldNode)
                fields = field.__dict__
                fields.update(_BARE_FIELD)
                fields["name"] = name
                fields["loc"] = location
                selections.append(field)
                at += 1
            else:
                self.at, self.selections = at, written
                selections.append(self.fragment(levels) if word == "..." else self.field(levels))
                at, written = self.at, self.selections
        self.at, self.selections = at + 1, written
        self.nesting -= 1
        return made(SelectionSetNode, {"selections": tuple(selections), "loc": self.loc(first)})

    def field(self, levels: int) -> FieldNode:
        first = self.at
        alias = None
        name = self.name()
        if self.texts[self.at] == ":":
            self.at += 1
            alias, name = name, self.name()
        level = levels + (name.value != _UNWRAPPING)
        if level > self.limits.max_depth:
            raise Unhandled
        fields: dict[str, Any] = {"alias": alias, "name": name, "arguments": self.arguments(False)}
        fields["directives"] = self.directive_list(False)
        fields["selection_set"] = self.selection_set(level) if self.texts[self.at] == "{" else None
        fields["loc"] = self.loc(first)
        return made(FieldNode, fields)

    def fragment(self, levels: int) -> FragmentSpreadNode | InlineFragmentNode:
        first = self.at
        self.at += 1
        word = self.texts[self.at]
        if word != "on" and word[0] in NAME_START:
            fields: dict[str, Any] = {"name": self.name(), "arguments": None}
            fields["directives"] = self.directive_list(False)
            fields["loc"] = self.loc(first)
            return made(FragmentSpreadNode, fields)
        if word == "on":
            self.at += 1
            fields = {"type_condition": self.named_type()}
        else:
            fields = {"type_condition": None}
        fields["directives"] = self.directive_list(False)
        fields["selection_set"] = self.selection_set(levels)
        fields["loc"] = self.loc(first)
        return made(InlineFragmentNode, fields)
