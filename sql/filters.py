"""Filters compiled to SQL conditions over an entity's whitelist.

Every value enters as a `$n` parameter, and list values as one array parameter, so the text
of a condition depends only on the shape of the filter, never on its values or their number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sql.entity import Column, Entity, Relation

MAX_FILTER_DEPTH = 16
MAX_FILTER_CONDITIONS = 200
"""Conditions (operators, relations, `and`/`or`/`not` items) one filter may hold: variables
can carry a filter of any size, which the document's token limit never sees."""
MAX_FILTER_VALUES = 1_000
"""Values of one `in` or `nin`."""
MAX_FILTER_TEXT = 10_000
"""Characters of one text value, as many as the longest text a write accepts."""


class FilterError(ValueError):
    """A filter the entity's whitelist does not allow, or one past the bounds above."""


class Params:
    """Positional parameters of one statement."""

    def __init__(self, initial: Sequence[Any] = ()) -> None:
        self.values: list[Any] = list(initial)

    def add(self, value: Any, sql_type: str | None = None) -> str:
        self.values.append(value)
        placeholder = f"${len(self.values)}"
        return f"{placeholder}::{sql_type}" if sql_type else placeholder


@dataclass
class Aliases:
    """Table aliases of one filter's subqueries, and the conditions it has so far."""

    count: int = 0
    conditions: int = 0

    def next(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def condition(self) -> None:
        self.conditions += 1
        if self.conditions > MAX_FILTER_CONDITIONS:
            raise FilterError(f"a filter holds at most {MAX_FILTER_CONDITIONS} conditions")


_ORDERED = (int, Decimal, datetime, str)


def compile_filter(
    entity: Entity,
    spec: Mapping[str, Any] | None,
    *,
    alias: str,
    params: Params,
    aliases: Aliases | None = None,
    depth: int = 0,
) -> str:
    """The SQL condition for a filter over `alias`; fields of one object are ANDed."""
    if not spec:
        return "TRUE"
    if depth > MAX_FILTER_DEPTH:
        raise FilterError(f"filters nest at most {MAX_FILTER_DEPTH} levels deep")
    aliases = aliases or Aliases()
    parts: list[str] = []
    for name, value in spec.items():
        if value is None:
            continue
        aliases.condition()
        if name in ("and", "or"):
            inner = [
                compile_filter(
                    entity, item, alias=alias, params=params, aliases=aliases, depth=depth + 1
                )
                for item in value
            ]
            joiner = " AND " if name == "and" else " OR "
            empty = "TRUE" if name == "and" else "FALSE"
            parts.append("(" + joiner.join(inner) + ")" if inner else empty)
        elif name == "not":
            inner_sql = compile_filter(
                entity, value, alias=alias, params=params, aliases=aliases, depth=depth + 1
            )
            # Comparisons with NULL are unknown, and NOT unknown is unknown: a row whose
            # null field fails the inner filter must pass its negation.
            parts.append(f"NOT coalesce({inner_sql}, false)")
        else:
            target = entity.filterable.get(name)
            if target is None:
                raise FilterError(f"{entity.table} cannot be filtered by {name!r}")
            if isinstance(target, Relation):
                parts.append(
                    _relation(target, value, alias, params=params, aliases=aliases, depth=depth)
                )
            else:
                for _ in range(len(value) - 1):  # one condition per operator
                    aliases.condition()
                parts.extend(column_conditions(target, value, f"{alias}.{target.name}", params))
    return " AND ".join(f"({p})" for p in parts) if parts else "TRUE"


def _relation(
    relation: Relation,
    spec: Mapping[str, Any],
    outer: str,
    *,
    params: Params,
    aliases: Aliases,
    depth: int,
) -> str:
    entity = relation.target()
    inner = aliases.next()
    condition = compile_filter(
        entity, spec, alias=inner, params=params, aliases=aliases, depth=depth + 1
    )
    join = relation.join.format(outer=outer, inner=inner)
    live = entity.live.format(t=inner)
    return (
        f"EXISTS (SELECT 1 FROM {entity.table} AS {inner} WHERE {join} AND {live} AND {condition})"
    )


def column_conditions(
    column: Column, ops: Mapping[str, Any], ref: str, params: Params
) -> list[str]:
    """One condition per operator. NULL never equals, orders or contains anything: `neq` and
    `nin` hold for NULL, every other comparison fails on it."""
    parts = []
    for op, value in ops.items():
        if value is None:
            continue
        _check_size(op, value)
        if op == "eq":
            parts.append(f"{ref} = {params.add(value, column.sql_type)}")
        elif op == "neq":
            parts.append(f"{ref} IS DISTINCT FROM {params.add(value, column.sql_type)}")
        elif op == "in":
            parts.append(f"{ref} = ANY({params.add(list(value), column.sql_type + '[]')})")
        elif op == "nin":
            placeholder = params.add(list(value), column.sql_type + "[]")
            parts.append(f"({ref} IS NULL OR NOT ({ref} = ANY({placeholder})))")
        elif op in ("lt", "lte", "gt", "gte") and issubclass(column.kind, _ORDERED):
            symbol = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
            parts.append(f"{ref} {symbol} {params.add(value, column.sql_type)}")
        elif op in ("contains", "starts_with", "ends_with") and column.kind is str:
            pattern = _like_escape(value)
            pattern = {
                "contains": f"%{pattern}%",
                "starts_with": f"{pattern}%",
                "ends_with": f"%{pattern}",
            }[op]
            parts.append(f"{ref} ILIKE {params.add(pattern, 'text')}")
        elif op == "is_null":
            parts.append(f"{ref} IS {'' if value else 'NOT '}NULL")
        else:
            raise FilterError(f"operator {op!r} does not apply to {column.name}")
    return parts


def _check_size(op: str, value: Any) -> None:
    values = value if isinstance(value, list | tuple) else [value]
    if len(values) > MAX_FILTER_VALUES:
        raise FilterError(f"`{op}` takes at most {MAX_FILTER_VALUES} values (got {len(values)})")
    longest = max((len(v) for v in values if isinstance(v, str)), default=0)
    if longest > MAX_FILTER_TEXT:
        raise FilterError(
            f"a filter's text is at most {MAX_FILTER_TEXT} characters (got {longest})"
        )


def _like_escape(text: str) -> str:
    """User text matched literally by LIKE: its wildcards and the escape are escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
