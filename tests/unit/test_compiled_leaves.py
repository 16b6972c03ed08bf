"""Enum values in a compiled run: members are serialized through a table read by their
identity (`engine.compiled.compile._leaf`); whatever is not a member goes through the
type's own `serialize`, as graphql-core would have it, and what that cannot serialize
(a null where none may be, too) fails the run, which graphql-core then answers
(`execute_compiled` turns any error into `Abandon`)."""

from __future__ import annotations

from enum import Enum

import pytest
from graphql import GraphQLEnumType

from engine.compiled.compile import _leaf
from engine.compiled.run import _serialize
from engine.compiled.tree import Leaf


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class _ColourType(GraphQLEnumType):
    """Serializes a member's value too, as Strawberry's enums do."""

    def serialize(self, output_value: object) -> str:
        if isinstance(output_value, str):
            output_value = Colour(output_value)
        return super().serialize(output_value)


def _enum_leaf() -> Leaf:
    type_ = _ColourType("Colour", {"RED": Colour.RED, "BLUE": Colour.BLUE})
    type_.wrapped_cls = Colour  # type: ignore[attr-defined]  # as Strawberry's enums have it
    leaf = _leaf(type_)
    assert leaf.members is not None
    return leaf


def test_members_are_serialized_by_the_table() -> None:
    leaf = _enum_leaf()
    assert _serialize(leaf, [Colour.RED, Colour.BLUE, Colour.RED], True) == ["RED", "BLUE", "RED"]
    assert _serialize(leaf, [None, Colour.BLUE, None], False) == [None, "BLUE", None]


def test_a_value_that_is_no_member_is_serialized_by_the_type() -> None:
    leaf = _enum_leaf()
    assert _serialize(leaf, [Colour.RED, "blue"], True) == ["RED", "BLUE"]
    assert _serialize(leaf, [None, "red"], False) == [None, "RED"]


@pytest.mark.parametrize("values", [[Colour.RED, None], [Colour.RED, "green"]])
def test_what_the_type_cannot_serialize_fails_the_run(values: list[object]) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - graphql-core's error or Abandon
        _serialize(_enum_leaf(), values, True)
