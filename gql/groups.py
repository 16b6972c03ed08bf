"""`groupBy` of every connection: arguments in, a page of typed groups out.

`GroupKind` holds an entity's group types (made by `gql.group_types.group_kind`) and turns
a `groupBy` call into `resolvers.groups`'s arguments, and its groups into objects: keys
converted (the bucket's first instant in the query's zone, the enum), relation keys
loaded for every group of a level at once, and the aggregate of each group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from strawberry.types.nodes import Selection

from gql.aggregates import AggregateKind, fields_of
from gql.filters import SortDirection, to_filter
from resolvers.connections import Listing, PageArgs
from resolvers.context import RequestContext
from resolvers.groups import GroupArgs, GroupPlan, group_listing, plan_groups
from sql.aggregates import Measure
from sql.group_spec import Group, Grouping, GroupOrder


@dataclass(frozen=True, slots=True)
class GroupKind:
    """An entity's group types, and how their arguments become a `GroupArgs`."""

    connection_type: Any
    group_type: Any
    key_type: Any
    by_input: Any
    order_input: Any
    having_input: Any
    columns: Mapping[str, str]  # XGroupField name → column
    sort_targets: Mapping[str, str | Measure]  # XGroupSortField name → key column or measure
    aggregate: AggregateKind

    async def resolve(
        self,
        ctx: RequestContext,
        listing: Listing[Any],
        selected: Iterable[Selection],
        *,
        by: list[Any],
        time_zone: str,
        having: Any,
        order_by: list[Any] | None,
        page: PageArgs,
    ) -> Any:
        from gql.pagination import connection  # pagination makes connections with groupBy

        args = GroupArgs(
            by=tuple(
                Grouping(self.columns[b.field.value], None if b.bucket is None else b.bucket.value)
                for b in by
            ),
            measures=self.aggregate.measures_of(_aggregates_under(selected)),
            order_by=tuple(self._ordering(o) for o in order_by or ()),
            having=to_filter(having),
            time_zone=time_zone,
            page=page,
        )
        plan = plan_groups(ctx, listing, args)
        groups = await group_listing(ctx, listing, plan)
        make = self._grouper(args, ZoneInfo(time_zone), (listing, plan))
        return connection(groups, make, self.connection_type)

    def _ordering(self, entry: Any) -> GroupOrder:
        target = self.sort_targets[entry.field.value]
        descending = entry.direction is SortDirection.DESC
        if isinstance(target, Measure):
            return GroupOrder(measure=target, descending=descending)
        return GroupOrder(key=target, descending=descending)

    def _grouper(
        self, args: GroupArgs, zone: ZoneInfo, source: tuple[Listing[Any], GroupPlan]
    ) -> Callable[[Group], Any]:
        """Makes each group's object; what depends only on the request is worked out once."""
        columns = [g.column for g in args.by]
        shown: list[tuple[int, str, Callable[[Any], Any]]] = []
        for index, grouping in enumerate(args.by):
            if grouping.bucket is not None:
                shown.append((index, grouping.column, partial(_in_zone, zone=zone)))
            elif grouping.column in self.key_type.CONVERT:
                shown.append((index, grouping.column, self.key_type.CONVERT[grouping.column]))
        key_type, group_type = self.key_type, self.group_type
        build = self.aggregate.builder(args.measures)

        def group(found: Group) -> Any:
            keys = found.keys
            values = {column: make(keys[i]) for i, column, make in shown}
            key = key_type(raw=dict(zip(columns, keys, strict=True)), **values)
            return group_type(key=key, aggregate=build(found.figures), found=found, source=source)

        return group


def _in_zone(value: datetime | None, *, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


def _aggregates_under(selected: Iterable[Selection]) -> list[Selection]:
    """The `aggregate` selections of the groups a `groupBy` selection shows."""
    found: list[Selection] = []
    for group_by in fields_of(selected):
        groups = list(fields_of(group_by.selections, "nodes"))
        for edges in fields_of(group_by.selections, "edges"):
            groups += fields_of(edges.selections, "node")
        for group in groups:
            found += fields_of(group.selections, "aggregate")
    return found
