"""Filter and ordering inputs shared by every connection, and their conversion into the
plain dictionaries the resolvers (and the SQL builder) understand."""

from __future__ import annotations

import dataclasses
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


def _d(text: str) -> Any:
    return strawberry.field(default=None, description=text)


@strawberry.input(description="Conditions on a text field; all given ones must hold.")
class StringFilter:
    eq: str | None = _d("Equal to.")
    neq: str | None = _d("Not equal to (null counts as not equal).")
    in_: list[str] | None = strawberry.field(
        default=None, name="in", description="Equal to one of."
    )
    nin: list[str] | None = _d("Equal to none of (null counts as none).")
    contains: str | None = _d("Contains this text, ignoring case; `%` and `_` are literal.")
    starts_with: str | None = _d("Starts with this text, ignoring case.")
    ends_with: str | None = _d("Ends with this text, ignoring case.")
    is_null: bool | None = _d("True: the field is null; false: it is not.")


@strawberry.input(description="Conditions on an integer field; all given ones must hold.")
class IntFilter:
    eq: int | None = _d("Equal to.")
    neq: int | None = _d("Not equal to.")
    in_: list[int] | None = strawberry.field(
        default=None, name="in", description="Equal to one of."
    )
    nin: list[int] | None = _d("Equal to none of.")
    lt: int | None = _d("Less than.")
    lte: int | None = _d("Less than or equal to.")
    gt: int | None = _d("Greater than.")
    gte: int | None = _d("Greater than or equal to.")
    is_null: bool | None = _d("True: the field is null; false: it is not.")


@strawberry.input(description="Conditions on a decimal field; all given ones must hold.")
class DecimalFilter:
    eq: Decimal | None = _d("Equal to.")
    neq: Decimal | None = _d("Not equal to.")
    in_: list[Decimal] | None = strawberry.field(
        default=None, name="in", description="Equal to one of."
    )
    nin: list[Decimal] | None = _d("Equal to none of.")
    lt: Decimal | None = _d("Less than.")
    lte: Decimal | None = _d("Less than or equal to.")
    gt: Decimal | None = _d("Greater than.")
    gte: Decimal | None = _d("Greater than or equal to.")
    is_null: bool | None = _d("True: the field is null; false: it is not.")


@strawberry.input(description="Conditions on a date-time field; all given ones must hold.")
class DateTimeFilter:
    eq: datetime | None = _d("At exactly this instant.")
    neq: datetime | None = _d("Not at this instant.")
    lt: datetime | None = _d("Before.")
    lte: datetime | None = _d("At or before.")
    gt: datetime | None = _d("After.")
    gte: datetime | None = _d("At or after.")
    is_null: bool | None = _d("True: the field is null; false: it is not.")


@strawberry.input(description="Conditions on an id; ids of other types match nothing.")
class IDFilter:
    eq: strawberry.ID | None = _d("Equal to.")
    neq: strawberry.ID | None = _d("Not equal to.")
    in_: list[strawberry.ID] | None = strawberry.field(
        default=None, name="in", description="Equal to one of."
    )
    nin: list[strawberry.ID] | None = _d("Equal to none of.")


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
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if item is None or item is strawberry.UNSET:
            continue
        key = f.name.rstrip("_")
        if isinstance(item, IDFilter) and isinstance(value, EntityFilter):
            result[key] = _id_filter(item, value.NODE_TYPE)
        else:
            result[key] = to_filter(item)
    return result


def _id_filter(ids: IDFilter, node_type: str) -> dict[str, Any]:
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
