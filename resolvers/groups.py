"""Groups of a connection's rows: keys, figures per group, `having`, ordering and keyset
pages of groups, over exactly the set the connection's page was cut from (its filter,
search, owner scope and deleted rows; not its cursor or size)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loaders.loaders import ByIdLoader
from resolvers.connections import (
    NO_ROWS,
    ConnectionArgs,
    Listing,
    Page,
    PageArgs,
    filter_errors,
    page_bounds,
    plan_page,
    to_page,
)
from resolvers.context import RequestContext
from resolvers.cursors import decode_cursor, page_digest
from resolvers.errors import BadUserInput
from resolvers.standard_reads import existing
from sql.aggregates import Measure
from sql.group_spec import Group, Grouping, GroupOrder, GroupPage, GroupSpec, group_sort_keys
from sql.groups import count_groups, fetch_groups

COUNT = Measure("count")


@dataclass(frozen=True, slots=True)
class GroupArgs:
    by: tuple[Grouping, ...]
    measures: tuple[Measure, ...] = ()
    """The measures shown; those `orderBy` needs are added."""
    order_by: tuple[GroupOrder, ...] = ()
    having: Mapping[str, Any] | None = None
    time_zone: str = "UTC"
    page: PageArgs = field(default_factory=PageArgs)


@dataclass(frozen=True, slots=True)
class GroupPlan:
    spec: GroupSpec
    digest: str


def plan_groups(ctx: RequestContext, listing: Listing[Any], args: GroupArgs) -> GroupPlan:
    """Checks the arguments and binds cursors to the set, the keys, the time zone, `having`
    and the ordering."""
    assert listing.plan is not None
    if not args.by:
        raise BadUserInput("`by` needs at least one key")
    columns = [g.column for g in args.by]
    if len(set(columns)) != len(columns):
        raise BadUserInput("`by` names a field more than once")
    _check_zone(args.time_zone)
    backward, size, cursor = page_bounds(ctx, args.page)
    order = args.order_by
    # the count is every group's rows' totalCount
    wanted = {COUNT, *args.measures, *(step.measure for step in order if step.measure)}
    spec = GroupSpec(
        set=listing.plan.spec,
        keys=args.by,
        measures=tuple(sorted(wanted, key=lambda m: (m.function, m.column or ""))),
        order=order,
        limit=size,
        time_zone=args.time_zone,
        having=args.having,
        backward=backward,
    )
    with filter_errors():
        keys = group_sort_keys(spec)
    digest = page_digest(
        keys,
        scope="groups",
        filter=args.having,
        args=(listing.plan.digest, [[g.column, g.bucket] for g in args.by], args.time_zone),
    )
    if cursor is not None:
        spec = replace(spec, after=decode_cursor(cursor, order=keys, digest=digest))
    return GroupPlan(spec=spec, digest=digest)


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadUserInput(
            f"{name!r} is not a time zone; name one of the IANA database, e.g. 'Europe/Paris'"
        ) from None


async def group_listing(
    ctx: RequestContext, listing: Listing[Any], plan: GroupPlan
) -> Listing[Group]:
    """A page of groups of the rows `listing` was cut from (`plan_groups`); for a nested
    listing, batched with every other parent asking for the same groups."""
    spec = plan.spec
    with filter_errors():
        if listing.parent is None:
            found = await fetch_groups(ctx.reads, spec)
        else:
            parent_key, parent_id = listing.parent
            found = await ctx.loaders.nested_groups.load(
                spec.set,
                shape=("groups", plan.digest, spec.after, spec.backward, spec.limit, spec.measures),
                parent_key=parent_key,
                parent_id=parent_id,
                groups=spec,
            )

    async def count() -> int:
        with filter_errors():
            if listing.parent is None:
                return await count_groups(ctx.reads, spec)
            parent_key, parent_id = listing.parent
            return await ctx.loaders.nested_group_counts.load(
                spec.set,
                shape=("groups", plan.digest),
                parent_key=parent_key,
                parent_id=parent_id,
                groups=spec,
            )

    return Listing(page=_page(plan, found), count=count)


def _page(plan: GroupPlan, found: GroupPage) -> Page[Group]:
    groups = found.groups[::-1] if plan.spec.backward else found.groups
    ahead, behind = found.more_ahead, found.any_behind
    return Page(
        items=groups,
        sort_values=[g.sort_values for g in groups],
        digest=plan.digest,
        has_next_page=behind if plan.spec.backward else ahead,
        has_previous_page=ahead if plan.spec.backward else behind,
    )


async def related_rows(loader: ByIdLoader[Any], ids: Sequence[UUID | None]) -> list[Any]:
    """The rows relation keys name, None where a group is not keyed by that relation;
    soft-deleted ones too (they are history, as `Order.customer` shows them)."""
    present = [i for i in ids if i is not None]
    rows = iter(await existing(loader, present, what="group key"))
    return [None if i is None else next(rows) for i in ids]


async def group_rows(
    ctx: RequestContext,
    listing: Listing[Any],
    plan: GroupPlan,
    group: Group,
    args: ConnectionArgs,
) -> Listing[Any]:
    """A page of one group's rows (by default in the connection's ordering), batched with
    every other group of the page of groups (and of every parent) asking the same."""
    assert listing.plan is not None
    rows_of = listing.plan.spec
    page = plan_page(
        ctx,
        ConnectionArgs(
            page=args.page,
            filter=rows_of.filter,
            order_by=args.order_by,
            include_deleted=rows_of.include_deleted,
            read_rows=args.read_rows,
        ),
        entity=rows_of.entity,
        scope=f"groups.{plan.digest}",
        default_order=(),
        leading=rows_of.order,
        where=rows_of.where,
        extra_args=rows_of.args,
    )
    parent_key, parent_id = listing.parent or (None, None)
    rows = NO_ROWS
    if page.read_rows:
        with filter_errors():
            rows = await ctx.loaders.group_rows.load(
                page.spec,
                shape=(plan.digest, page.shape),
                parent_key=parent_key,
                parent_id=(parent_id, *group.keys),
                groups=plan.spec,
            )

    async def count() -> int:
        figure: int = group.figures[COUNT]
        return figure

    return Listing(page=to_page(page, rows), count=count)
