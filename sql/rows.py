"""Helpers shared by every query module: column lists from row types, records to rows."""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform
from uuid import UUID

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from sql.pool import Executor

RowT = TypeVar("RowT", bound="DataclassInstance")
T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def row_class(cls: type[T]) -> type[T]:
    """A row type: a dataclass with slots that type checkers hold frozen.

    Not frozen at run time: a frozen dataclass's `__init__` sets every field through
    `object.__setattr__`, six times slower than plain assignment (1.9 against 0.3 us for
    a product's eleven columns), and a page of order lines with their products makes
    hundreds of rows. Hashing stays as frozen rows have it (by value)."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


def columns(row_type: type[DataclassInstance], *, prefix: str = "") -> str:
    """The row type's fields as a written-out column list, in declaration order.

    Query functions select exactly these columns, so a record maps onto the row positionally.
    """
    return ", ".join(f"{prefix}{f.name}" for f in fields(row_type))


class ByIds:
    """A statement reading rows by an array of ids in `$1`, and its twin for a single id.

    PostgreSQL plans `id = ANY($1)` afresh on every execution: the generic plan guesses
    ten ids, so it never looks cheaper than a custom plan for the ids at hand, and the
    planning cost more server CPU than the read (about 50 us a statement here). `id = $1`
    gets its cached generic plan after a few runs, and most reads by id (a root field, a
    node, a lone parent) ask for one id.
    """

    MANY = "= ANY($1::uuid[])"
    ONE = "= $1::uuid"

    def __init__(self, statement: str) -> None:
        if statement.count(self.MANY) != 1:
            raise ValueError(f"a by-ids statement matches ids with {self.MANY!r} once")
        self.many = statement
        self.one = statement.replace(self.MANY, self.ONE)

    def fetch(self, executor: Executor, ids: Sequence[UUID], *args: Any) -> Awaitable[list[Any]]:
        """The records of these ids (`args` fill `$2` on)."""
        if len(ids) == 1:
            return executor.fetch(self.one, ids[0], *args)
        return executor.fetch(self.many, list(ids), *args)


def to_rows(row_type: type[RowT], records: Iterable[Any]) -> list[RowT]:
    return [row_type(*record) for record in records]


def row_to_json(row: DataclassInstance) -> dict[str, Any]:
    """A row as JSON-safe values (uuids, decimals and times as strings)."""
    return {f.name: _to_json(getattr(row, f.name)) for f in fields(row)}


def row_from_json(row_type: type[RowT], data: dict[str, Any]) -> RowT:
    """The row `row_to_json` made, with its field types restored."""
    hints = typing.get_type_hints(row_type)
    return row_type(**{name: _from_json(hints[name], value) for name, value in data.items()})


def _to_json(value: Any) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _from_json(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    kinds = typing.get_args(hint) or (hint,)
    if datetime in kinds:
        return datetime.fromisoformat(value)
    if UUID in kinds:
        return UUID(value)
    if Decimal in kinds:
        return Decimal(value)
    return value
