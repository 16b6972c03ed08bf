"""The reading of names, types, values, arguments and directives for `engine.fast_parsing`,
and what both need: the nodes made as graphql-core's parser makes them, `Unhandled`."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    Location,
    NamedTypeNode,
    NameNode,
    Node,
    NonNullTypeNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    Source,
    StringValueNode,
    TypeNode,
    ValueNode,
    VariableNode,
)
from graphql.language.block_string import dedent_block_string_lines
from graphql.language.parser import MAX_NESTING_DEPTH

from engine.lexing import LINE_END
from engine.limits import QueryLimits

NAME_START = frozenset("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class Unhandled(Exception):
    """The text is not one this parser reads, or not within a limit it counts."""


N = TypeVar("N", bound=Node)
_new = object.__new__


def made(cls: type[N], fields: dict[str, Any]) -> N:
    """A node of `cls` with `fields`, every one of them. graphql-core's nodes are frozen
    dataclasses, whose `__init__` sets each field through `object.__setattr__`: three
    times the cost of filling the instance's dictionary (a name node, a field node and a
    location make most of a parsed document)."""
    node = _new(cls)
    node.__dict__.update(fields)
    return node


def location(source: Source, start: int, end: int) -> Location:
    location = _new(Location)
    location.start, location.end, location.source = start, end, source
    return location


class Reader:
    """graphql-core's grammar over the token lists of `engine.fast_parsing`: each token's
    text (ending with a blank, which no token is) and start; `at` is the index of the next
    token, and every method leaves it past what it read."""

    def __init__(
        self, source: Source, starts: list[int], texts: list[str], limits: QueryLimits
    ) -> None:
        self.source = source
        self.starts = starts
        self.texts = texts
        self.count = len(texts) - 1
        self.limits = limits
        self.at = 0
        self.nesting = self.operations = self.selections = 0

    def loc(self, first: int) -> Location:
        """From the token at `first` to the last one read."""
        last = self.at - 1
        return location(self.source, self.starts[first], self.starts[last] + len(self.texts[last]))

    def expect(self, token: str) -> None:
        if self.texts[self.at] != token:
            raise Unhandled
        self.at += 1

    def nest(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING_DEPTH:
            raise Unhandled

    def variable(self) -> VariableNode:
        first = self.at
        self.expect("$")
        name = self.name()
        return made(VariableNode, {"name": name, "loc": self.loc(first)})

    def type_reference(self) -> TypeNode:
        first = self.at
        node: TypeNode
        if self.texts[first] == "[":
            self.at += 1
            self.nest()
            inner = self.type_reference()
            self.nesting -= 1
            self.expect("]")
            node = made(ListTypeNode, {"type": inner, "loc": self.loc(first)})
        else:
            node = self.named_type()
        if self.texts[self.at] == "!":
            self.at += 1
            return made(NonNullTypeNode, {"type": node, "loc": self.loc(first)})
        return node

    def named_type(self) -> NamedTypeNode:
        name = self.name()
        return made(NamedTypeNode, {"name": name, "loc": name.loc})

    def name(self) -> NameNode:
        at = self.at
        word = self.texts[at]
        if word[0] not in NAME_START:
            raise Unhandled
        self.at = at + 1
        start = self.starts[at]
        return made(
            NameNode, {"value": word, "loc": location(self.source, start, start + len(word))}
        )

    def directive_list(self, const: bool) -> tuple[DirectiveNode, ...] | None:
        directives = []
        while self.texts[self.at] == "@":
            first = self.at
            self.at += 1
            fields: dict[str, Any] = {"name": self.name(), "arguments": self.arguments(const)}
            fields["loc"] = self.loc(first)
            directives.append(made(DirectiveNode, fields))
        return tuple(directives) if directives else None

    def arguments(self, const: bool) -> tuple[ArgumentNode, ...] | None:
        if self.texts[self.at] != "(":
            return None
        self.at += 1
        arguments = [self.argument(ArgumentNode, const)]
        while self.texts[self.at] != ")":
            arguments.append(self.argument(ArgumentNode, const))
        self.at += 1
        return tuple(arguments)

    def argument(self, cls: type[N], const: bool) -> N:
        """An argument or an input object's field: a name, a colon and a value."""
        first = self.at
        name = self.name()
        self.expect(":")
        value = self.value(const)
        return made(cls, {"name": name, "value": value, "loc": self.loc(first)})

    def value(self, const: bool) -> ValueNode:
        first = self.at
        word = self.texts[first]
        head = word[0]
        if head == "$":
            if const:
                raise Unhandled
            return self.variable()
        if head == "[" or head == "{":
            self.at += 1
            self.nest()
            items: list[Any] = []
            if head == "[":
                while self.texts[self.at] != "]":
                    items.append(self.value(const))
            else:
                while self.texts[self.at] != "}":
                    items.append(self.argument(ObjectFieldNode, const))
            self.at += 1
            self.nesting -= 1
            if head == "[":
                return made(ListValueNode, {"values": tuple(items), "loc": self.loc(first)})
            return made(ObjectValueNode, {"fields": tuple(items), "loc": self.loc(first)})
        self.at += 1
        loc = self.loc(first)
        if head == '"':
            return made(StringValueNode, _string(word, loc))
        if head == "-" or head.isdigit():
            number = FloatValueNode if "." in word or "e" in word or "E" in word else IntValueNode
            return made(number, {"value": word, "loc": loc})
        if head not in NAME_START:
            raise Unhandled
        if word == "true" or word == "false":
            return made(BooleanValueNode, {"value": word == "true", "loc": loc})
        if word == "null":
            return made(NullValueNode, {"loc": loc})
        return made(EnumValueNode, {"value": word, "loc": loc})


def _string(word: str, loc: Location) -> dict[str, Any]:
    """A string value node's fields, from the string as written."""
    if word.startswith('"""'):
        lines = LINE_END.split(word[3:-3])
        return {"value": "\n".join(dedent_block_string_lines(lines)), "block": True, "loc": loc}
    if "\\" in word:
        try:  # JSON's escapes are GraphQL's, decoded in C; a lone surrogate fails
            return {"value": orjson.loads(word), "block": False, "loc": loc}
        except orjson.JSONDecodeError:
            raise Unhandled from None
    return {"value": word[1:-1], "block": False, "loc": loc}
