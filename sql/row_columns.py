"""Columns and sort keys named off a row type.

The row type already says each column's Python type and whether it may be null, so an
entity's declaration names its columns and nothing more; only a column whose SQL type is
not the usual one for its Python type (an enum, a smallint) says so.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sql.entity import Column, SortKey

SQL_TYPES: dict[type, str] = {
    UUID: "uuid",
    str: "text",
    int: "integer",
    Decimal: "numeric",
    datetime: "timestamptz",
    bool: "boolean",
}
"""The SQL type a parameter of each Python type is cast to, unless the column says other."""

TIMESTAMPS = ("created_at", "updated_at")


def row_columns(
    row: type[Any], *names: str, sql_types: Mapping[str, str] | None = None
) -> dict[str, Column]:
    """These columns of `row` by name, in the order given."""
    found = {}
    for name in names:
        kind, nullable = _field_type(row, name)
        sql_type = (sql_types or {}).get(name) or SQL_TYPES[kind]
        found[name] = Column(name, kind, sql_type, nullable=nullable)
    return found


def sort_keys(row: type[Any], *names: str) -> dict[str, SortKey]:
    """A sort key for each of these columns of `row`, named as the GraphQL enum spells it
    (`created_at` sorts as CREATED_AT)."""
    keys = {}
    for name in names:
        kind, nullable = _field_type(row, name)
        keys[name.upper()] = SortKey(f"{{t}}.{name}", kind, nullable=nullable)
    return keys


def _field_type(row: type[Any], name: str) -> tuple[type, bool]:
    """The field's Python type, and whether it may be None."""
    hint = typing.get_type_hints(row)[name]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        kinds = [k for k in typing.get_args(hint) if k is not type(None)]
        return kinds[0], len(kinds) < len(typing.get_args(hint))
    return hint, False
