"""The types of `groupBy`: typed keys, figures per group, `having`, ordering, and the
rows of each group.

The types are made from each entity's group keys (its `groupable` columns, typed by the
entity module: an `OrderStatus`, a `Customer` node) and its timestamp measures (grouped in
buckets of a `TimeBucket`, returned as the bucket's first instant in the query's time
zone), so every connection spells them alike:

    XGroupField      what groups can be made by         XGroupBy { field bucket }
    XGroupSortField  keys, COUNT, SUM_TOTAL, ...        XGroupOrderBy { field direction }
    XAggregateFilter `having`: conditions on figures    XGroupKey, XGroup, XGroupConnection
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from engine.compiled.fields import batched_field
from gql import generated
from gql.aggregates import AggregateKind
from gql.context import Info
from gql.filters import DateTimeFilter, DecimalFilter, IntFilter, SortDirection
from gql.generated import BARE, declared, made_type
from gql.groups import GroupKind
from gql.pagination import PAGE_ARGUMENTS, Connection, connection, connection_args
from resolvers.context import RequestContext
from resolvers.groups import group_rows
from sql.aggregates import Measure
from sql.entity import Column
from sql.group_spec import Group

_NAMES = {"sum": "sums", "avg": "means", "min": "least values", "max": "greatest values"}
_FILTERS: dict[type, type] = {int: IntFilter, Decimal: DecimalFilter, datetime: DateTimeFilter}


@strawberry.enum(description="A span of time rows are grouped in, in the query's time zone.")
class TimeBucket(Enum):
    DAY = strawberry.enum_value("day", description="Calendar days, from midnight.")
    WEEK = strawberry.enum_value("week", description="ISO weeks, from Monday midnight.")
    MONTH = strawberry.enum_value("month", description="Calendar months.")
    YEAR = strawberry.enum_value("year", description="Calendar years.")


@dataclass(frozen=True, slots=True)
class KeyField:
    """A group key that is not a timestamp: its GraphQL type, and either how a plain value
    becomes it (`convert`) or how the rows of many keys' ids are loaded (`load`, then
    `convert` makes each row's object)."""

    returns: Any
    description: str
    convert: Callable[[Any], Any] | None = None
    load: Callable[[RequestContext, list[UUID | None]], Awaitable[list[Any]]] | None = None


def _upper(name: str) -> str:
    return name.upper()


def _enum(name: str, names: Iterable[str]) -> Any:
    """An Enum class whose members are these names, each its own value."""
    return Enum(name, {n: n for n in names})


@dataclass(frozen=True, slots=True)
class RowsOf:
    """How a group shows its rows: the entity's connection (by its name: it is made after
    the groups, and bound in `gql.generated`), its ordering input and its objects."""

    connection: str
    order_by: Any
    to_node: Callable[[Any], Any]


def group_kind(
    entity: str,
    measures: Mapping[str, Column],
    keys: Mapping[str, KeyField],
    aggregate: AggregateKind,
    *,
    what: str,
    rows: RowsOf,
) -> GroupKind:
    timestamps = [name for name, c in measures.items() if c.kind is datetime]
    columns = {_upper(name): name for name in [*keys, *timestamps]}
    field_enum = strawberry.enum(
        _enum(f"{entity}GroupField", columns),
        description=f"What {what} can be grouped by (timestamps in a `TimeBucket`).",
    )
    targets: dict[str, str | Measure] = {**columns, "COUNT": Measure("count")}
    for function, names in aggregate.columns.items():
        for column in names.values():
            targets[f"{function.upper()}_{_upper(column)}"] = Measure(function, column)
    sort_enum = strawberry.enum(
        _enum(f"{entity}GroupSortField", targets),
        description=f"What groups of {what} can be ordered by: a key or a figure.",
    )
    by_input = made_type(
        f"{entity}GroupBy",
        {
            "field": (field_enum, strawberry.field(description="The field to group by.")),
            "bucket": (
                TimeBucket | None,
                strawberry.field(
                    default=None,
                    description="For a timestamp, the span its groups cover (required); "
                    "for any other field, leave it out.",
                ),
            ),
        },
        description=f"One key groups of {what} are made by.",
        input=True,
    )
    order_input = made_type(
        f"{entity}GroupOrderBy",
        {
            "field": (sort_enum, strawberry.field(description="What to order by.")),
            "direction": (
                SortDirection,
                strawberry.field(default=SortDirection.ASC, description="ASC (default) or DESC."),
            ),
        },
        description=f"One step of an ordering of groups of {what}; nulls come last "
        "ascending and first descending.",
        input=True,
    )
    having = {"count": (IntFilter | None, strawberry.field(default=None, description="How many."))}
    for function, names in aggregate.columns.items():
        kinds = {c: Decimal if function == "avg" else measures[c].kind for c in names.values()}
        part = made_type(
            f"{entity}{function.capitalize()}Filter",
            {
                column: (
                    _FILTERS[kind] | None,
                    strawberry.field(default=None, description=f"Its {column.replace('_', ' ')}."),
                )
                for column, kind in kinds.items()
            },
            description=f"Conditions on the {_NAMES[function]} of a group of {what}.",
            input=True,
        )
        having[function] = (
            part | None,
            strawberry.field(default=None, description=f"Conditions on its {_NAMES[function]}."),
        )
    having_input = made_type(
        f"{entity}AggregateFilter",
        having,
        description=f"Conditions on the figures of a group of {what}; all given ones must hold.",
        input=True,
    )
    key_fields: dict[str, tuple[Any, Any]] = {
        "raw": (strawberry.Private[dict[str, Any]], BARE),
    }
    convert = {}
    for name, key in keys.items():
        if key.load is None:
            key_fields[name] = (
                key.returns | None,
                strawberry.field(default=None, description=key.description),
            )
            if key.convert is not None:
                convert[name] = key.convert
        else:
            key_fields[name] = (
                None,
                batched_field(
                    _loader(name, key.load, key.convert),
                    returns=key.returns | None,
                    description=key.description,
                ),
            )
    for name in timestamps:
        key_fields[name] = (
            datetime | None,
            strawberry.field(
                default=None,
                description=f"The first instant of the bucket of {name.replace('_', ' ')}, "
                "in the query's time zone.",
            ),
        )
    key_type = made_type(
        f"{entity}GroupKey",
        key_fields,
        description=f"What the {what} of a group share; null for fields not grouped by.",
    )
    key_type.CONVERT = convert
    group_type = made_type(
        f"{entity}Group",
        {
            "key": (key_type, strawberry.field(description="What the group's rows share.")),
            "found": (strawberry.Private[Group], BARE),
            "source": (strawberry.Private[tuple[Any, Any]], BARE),  # type: ignore[misc]
            "aggregate": (
                aggregate.object_type,
                strawberry.field(description="Figures over the group's rows."),
            ),
            what: (None, _rows_field(rows, what)),
        },
        description=f"{what.capitalize()} that share their keys, and figures over them.",
    )
    return GroupKind(
        connection_type=Connection[group_type],  # type: ignore[valid-type]
        group_type=group_type,
        key_type=key_type,
        by_input=by_input,
        order_input=order_input,
        having_input=having_input,
        columns=columns,
        sort_targets=targets,
        aggregate=aggregate,
    )


def _loader(
    column: str,
    load: Callable[[RequestContext, list[UUID | None]], Awaitable[list[Any]]],
    from_row: Callable[[Any], Any] | None,
) -> Any:
    make = from_row or (lambda row: row)

    async def batch(ctx: RequestContext, keys: list[Any]) -> list[Any]:
        rows = await load(ctx, [k.raw.get(column) for k in keys])
        return [None if row is None else make(row) for row in rows]

    batch.__module__ = __name__
    return batch


def _rows_field(rows: RowsOf, what: str) -> Any:
    async def resolve(self: Any, info: Info, **given: Any) -> Any:
        listing, plan = self.source
        found = await group_rows(
            info.context, listing, plan, self.found, connection_args(given, info)
        )
        return connection(found, rows.to_node, getattr(generated, rows.connection))

    order_by = Annotated[
        list[rows.order_by] | None,  # type: ignore[name-defined]
        strawberry.argument(description="Ordering; the connection's when omitted."),
    ]
    arguments = {**PAGE_ARGUMENTS, "order_by": (order_by, None)}
    resolve.__module__ = generated.__name__  # where the connection's name is found
    return strawberry.field(
        resolver=declared(resolve, arguments, rows.connection),
        description=f"The group's {what}, a page at a time (its count is the group's).",
    )
