"""Helpers shared by every query module: column lists from row types, records to rows."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

RowT = TypeVar("RowT", bound="DataclassInstance")


def columns(row_type: type[DataclassInstance], *, prefix: str = "") -> str:
    """The row type's fields as a written-out column list, in declaration order.

    Query functions select exactly these columns, so a record maps onto the row positionally.
    """
    return ", ".join(f"{prefix}{f.name}" for f in fields(row_type))


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
