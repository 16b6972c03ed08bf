"""Groups of the set a page is cut from, as asked for: keys (whitelisted columns, or
timestamp measures cut into buckets), measures, `having`, ordering and a keyset cursor; and
the groups read back. `sql.groups` makes and runs their statements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sql.aggregates import Figures, Measure
from sql.builder import PageSpec
from sql.entity import Column, SortKey
from sql.filters import FilterError

BUCKETS = ("day", "week", "month", "year")


@dataclass(frozen=True, slots=True)
class Grouping:
    """One group key: a groupable column, or a timestamp measure column cut into buckets."""

    column: str
    bucket: str | None = None


@dataclass(frozen=True, slots=True)
class GroupOrder:
    """One step of a group ordering: a key (by its column, one the groups are made by),
    or a measure."""

    key: str | None = None
    measure: Measure | None = None
    descending: bool = False


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A page of groups of `set`'s rows (its order, cursor and size are not used)."""

    set: PageSpec
    keys: tuple[Grouping, ...]
    measures: tuple[Measure, ...]
    """Every measure read: shown, filtered by `having` or ordered by."""
    order: tuple[GroupOrder, ...]
    limit: int
    time_zone: str = "UTC"
    having: Mapping[str, Any] | None = None
    """`{"count": {ops}, "sum": {"total": {ops}}, ...}` with the filter operators."""
    after: tuple[Any, ...] | None = None
    backward: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    keys: tuple[Any, ...]
    figures: Figures
    sort_values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class GroupPage:
    groups: list[Group] = field(default_factory=list)
    more_ahead: bool = False
    any_behind: bool = False


def key_column(spec: GroupSpec, grouping: Grouping) -> Column:
    """The whitelisted column of a key; refuses the rest (and buckets where none apply)."""
    entity = spec.set.entity
    plain = entity.groupable.get(grouping.column)
    measure = entity.measures.get(grouping.column)
    timestamp = measure if measure is not None and measure.kind is datetime else None
    name = grouping.column.replace("_", " ")
    if grouping.bucket is None and plain is None and timestamp is not None:
        raise FilterError(f"{entity.table} are grouped by {name} in buckets: name one")
    if grouping.bucket is not None and timestamp is None:
        raise FilterError(f"{entity.table} are grouped by {name} without a bucket")
    column = plain if grouping.bucket is None else timestamp
    if column is None or (grouping.bucket is not None and grouping.bucket not in BUCKETS):
        raise FilterError(f"{entity.table} cannot be grouped by {name}")
    return column


def group_sort_keys(spec: GroupSpec) -> tuple[SortKey, ...]:
    """The ordering of `spec`'s groups over the grouped rows `g`, made total by every key
    not in it (the keys name a group); what cursors carry and are decoded with."""
    columns = [g.column for g in spec.keys]
    steps = list(spec.order)
    ordered = {step.key for step in steps if step.key is not None}
    steps += [GroupOrder(key=c) for c in columns if c not in ordered]
    keys = []
    for step in steps:
        if step.key is not None:
            if step.key not in columns:
                raise FilterError(f"groups are not made by {step.key.replace('_', ' ')}")
            index = columns.index(step.key)
            grouping = spec.keys[index]
            column = key_column(spec, grouping)
            kind = datetime if grouping.bucket else column.kind
            keys.append(SortKey(f"g.k{index}", kind, step.descending, nullable=True))
        else:
            assert step.measure is not None
            index = spec.measures.index(step.measure)
            kind = measure_kind(spec, step.measure)
            keys.append(SortKey(f"g.m{index}", kind, step.descending, nullable=True))
    return tuple(keys)


def measure_kind(spec: GroupSpec, measure: Measure) -> type:
    if measure.column is None:
        return int
    kind = spec.set.entity.measures[measure.column].kind
    return Decimal if measure.function == "avg" else kind
