"""Helpers shared by every query module: column lists from row types, records to rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

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
