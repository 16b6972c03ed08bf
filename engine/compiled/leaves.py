"""Leaf values to what a response holds, a column of them at a time: as graphql-core's
`serialize` of each leaf type gives them, or `Abandon` where graphql-core would answer
with an error."""

from __future__ import annotations

from typing import Any

from engine.compiled.tree import Abandon, Leaf
from engine.scalars import INT_RANGE

NONE = type(None)


def serialize_leaves(leaf: Leaf, values: list[Any], non_null: bool) -> list[Any]:
    """The serialized `values` of one leaf field, one per value (`non_null`: of a non-null
    field, where a null abandons the run)."""
    serialize, same = leaf.serialize, leaf.same
    if leaf.members is not None:  # an enum: no Python call per member (None gives None)
        out = list(map(leaf.members.get, map(id, values)))
        if (None not in out) if non_null else out.count(None) == values.count(None):
            return out  # else something not a member: each value by `serialize`
    # Values all of the type that serializes to itself (most are) are taken as they are:
    # their types are compared in C, not by a comprehension's Python frame.
    if non_null:
        if same is None:
            out = list(map(serialize, values))  # a None raises, or comes back None
        elif set(map(type, values)) == {same}:
            out = list(values)
        else:
            out = [v if type(v) is same else serialize(v) for v in values]
        if None in out:
            raise Abandon("null in a non-null field")
    else:
        if same is None:
            out = [None if v is None else serialize(v) for v in values]
        elif set(map(type, values)) <= {same, NONE}:
            out = list(values)
        else:
            out = [v if type(v) is same or v is None else serialize(v) for v in values]
        if out.count(None) != values.count(None):
            raise Abandon("a value did not serialize")
    if same is int and out and not _within_int_range(out, non_null):
        raise Abandon("an Int out of range")  # graphql-core's error, then
    return out


def _within_int_range(values: list[Any], non_null: bool) -> bool:
    """Every int among `values` is a GraphQL Int. Serialized non-null Ints are all ints:
    their smallest and largest are found in C (anything else raises, and graphql-core
    answers)."""
    if non_null:
        return min(values) in INT_RANGE and max(values) in INT_RANGE
    return not any(type(v) is int and v not in INT_RANGE for v in values)
