"""Enum values in a compiled run: members are serialized through a table read by their
identity (`engine.compiled.compile._leaf`); whatever is not a member goes through the
type's own `serialize`, as graphql-core would have it, and what that cannot serialize
(a null where none may be, too) fails the run, which graphql-core then answers
(`execute_compiled` turns any error into `Abandon`)."""

from __future__ import annotations

from enum import Enum

import pytest
from graphql import GraphQLEnumType, GraphQLInt, GraphQLString

from engine.compiled.compile import _leaf
from engine.compiled.leaves import serialize_leaves
from engine.compiled.tree import Abandon, Leaf


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
    assert serialize_leaves(leaf, [Colour.RED, Colour.BLUE, Colour.RED], True) == [
        "RED",
        "BLUE",
        "RED",
    ]
    assert serialize_leaves(leaf, [None, Colour.BLUE, None], False) == [None, "BLUE", None]


def test_a_value_that_is_no_member_is_serialized_by_the_type() -> None:
    leaf = _enum_leaf()
    assert serialize_leaves(leaf, [Colour.RED, "blue"], True) == ["RED", "BLUE"]
    assert serialize_leaves(leaf, [None, "red"], False) == [None, "RED"]


@pytest.mark.parametrize("values", [[Colour.RED, None], [Colour.RED, "green"]])
def test_what_the_type_cannot_serialize_fails_the_run(values: list[object]) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - graphql-core's error or Abandon
        serialize_leaves(_enum_leaf(), values, True)


STRING = Leaf(GraphQLString.serialize, str)
INT = Leaf(GraphQLInt.serialize, int)


@pytest.mark.parametrize(
    ("leaf", "values", "non_null", "expected"),
    [
        (STRING, ["a", "b"], True, ["a", "b"]),
        (STRING, ["a", None], False, ["a", None]),
        (STRING, [1, "b"], True, ["1", "b"]),  # not a str: through `serialize`
        (INT, [True, 2], True, [1, 2]),  # a bool is no Int as it is
        (INT, [None, 3], False, [None, 3]),
    ],
)
def test_values_of_the_type_that_serializes_to_itself_are_taken_as_they_are(
    leaf: Leaf, values: list[object], non_null: bool, expected: list[object]
) -> None:
    out = serialize_leaves(leaf, values, non_null)
    assert out == expected
    assert [type(v) for v in out] == [type(v) for v in expected]
    assert out is not values  # a column of its own


@pytest.mark.parametrize(
    ("leaf", "values", "non_null"),
    [
        (INT, [1, 2**31], True),  # not a GraphQL Int
        (INT, [None, -(2**31) - 1], False),
    ],
)
def test_what_graphql_core_refuses_abandons_the_run(
    leaf: Leaf, values: list[object], non_null: bool
) -> None:
    with pytest.raises(Abandon):
        serialize_leaves(leaf, values, non_null)
