"""Filter and ordering inputs shared by every connection, and their conversion into the
plain dictionaries the resolvers (and the SQL builder) understand."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

import strawberry

from engine.node_ids import uuid_of
from resolvers.connections import Ordering

NO_ROW = UUID(int=0)
"""What an id that names no row of the right type becomes: the nil uuid matches nothing."""


EQUALITY = {
    "eq": "Equal to.",
    "neq": "Not equal to.",
    "in_": "Equal to one of.",
    "nin": "Equal to none of.",
}
RANGE = {
    "lt": "Less than.",
    "lte": "Less than or equal to.",
    "gt": "Greater than.",
    "gte": "Greater than or equal to.",
}
IS_NULL = {"is_null": "True: the field is null; false: it is not."}


def scalar_filter(name: str, kind: Any, conditions: dict[str, str], *, description: str) -> Any:
    """A filter input on values of `kind`: one optional field per condition (by Python
    name, with its description); `in_`/`nin` take lists, `is_null` a Boolean."""
    annotations: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for condition, text in conditions.items():
        annotations[condition] = (
            list[kind] if condition in ("in_", "nin") else bool if condition == "is_null" else kind
        ) | None
        named = "in" if condition == "in_" else None
        body[condition] = strawberry.field(default=None, name=named, description=text)
    made = type(name, (), {**body, "__annotations__": annotations, "__module__": __name__})
    return strawberry.input(made, description=description)


StringFilter = scalar_filter(
    "StringFilter",
    str,
    EQUALITY
    | {
        "neq": "Not equal to (null counts as not equal).",
        "nin": "Equal to none of (null counts as none).",
        "contains": "Contains this text, ignoring case; `%` and `_` are literal.",
        "starts_with": "Starts with this text, ignoring case.",
        "ends_with": "Ends with this text, ignoring case.",
    }
    | IS_NULL,
    description="Conditions on a text field; all given ones must hold.",
)
IntFilter = scalar_filter(
    "IntFilter",
    int,
    EQUALITY | RANGE | IS_NULL,
    description="Conditions on an integer field; all given ones must hold.",
)
DecimalFilter = scalar_filter(
    "DecimalFilter",
    Decimal,
    EQUALITY | RANGE | IS_NULL,
    description="Conditions on a decimal field; all given ones must hold.",
)
DateTimeFilter = scalar_filter(
    "DateTimeFilter",
    datetime,
    {
        "eq": "At exactly this instant.",
        "neq": "Not at this instant.",
        "lt": "Before.",
        "lte": "At or before.",
        "gt": "After.",
        "gte": "At or after.",
    }
    | IS_NULL,
    description="Conditions on a date-time field; all given ones must hold.",
)
IDFilter = scalar_filter(
    "IDFilter",
    strawberry.ID,
    EQUALITY,
    description="Conditions on an id; ids of other types match nothing.",
)


@strawberry.enum(description="Which way an ordering runs.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(description="Where nulls go in an ordering.")
class NullsOrder(Enum):
    FIRST = "FIRST"
    LAST = "LAST"


class EntityFilter:
    """Base of the entity filter inputs; `NODE_TYPE` names whose ids `id:` compares."""

    NODE_TYPE: ClassVar[str]


def to_filter(value: Any) -> Any:
    """A filter input as plain data: snake_case keys, unset fields dropped, enums as their
    values, global ids as uuids (`NO_ROW` when they name no row of the right type)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [to_filter(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if not dataclasses.is_dataclass(value):
        return value
    result: dict[str, Any] = {}
    kind: type = type(value)
    for name, key in _keys_of(kind):
        item = getattr(value, name)
        if item is None or item is strawberry.UNSET:
            continue
        if isinstance(item, IDFilter) and isinstance(value, EntityFilter):
            result[key] = _id_filter(item, value.NODE_TYPE)
        else:
            result[key] = to_filter(item)
    return result


@functools.cache
def _keys_of(input_type: type) -> tuple[tuple[str, str], ...]:
    """An input type's fields and their keys in plain data (`and_` -> `and`), made once:
    a filter is turned into plain data on every request."""
    return tuple((f.name, f.name.rstrip("_")) for f in dataclasses.fields(input_type))


def _id_filter(ids: Any, node_type: str) -> dict[str, Any]:
    def decode(global_id: str) -> UUID:
        return uuid_of(global_id, type_name=node_type) or NO_ROW

    result: dict[str, Any] = {}
    for op in ("eq", "neq"):
        if (single := getattr(ids, op)) is not None:
            result[op] = decode(single)
    for op, attr in (("in", "in_"), ("nin", "nin")):
        if (many := getattr(ids, attr)) is not None:
            result[op] = [decode(i) for i in many]
    return result


def orderings(order_by: Sequence[Any] | None) -> tuple[Ordering, ...]:
    """`orderBy` entries (any entity's `XOrderBy` input) as resolver orderings."""
    return tuple(
        Ordering(
            field=entry.field.value,
            descending=entry.direction is SortDirection.DESC,
            nulls_first=None if entry.nulls is None else entry.nulls is NullsOrder.FIRST,
        )
        for entry in order_by or ()
    )
