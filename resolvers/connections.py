"""Connections for every entity: page arguments, filters and orderings in, pages out.

Root connections read one page with one statement; nested connections (`Customer.orders`)
go through a loader that reads the same page for every parent in one statement. Counts run
only when asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from resolvers.context import RequestContext
from resolvers.cursors import decode_cursor, encode_cursor, page_digest
from resolvers.errors import BadUserInput
from sql.aggregates import Figures, Measure, aggregate_rows
from sql.builder import PageSpec
from sql.entity import Entity, SortKey, with_tiebreak
from sql.filters import FilterError
from sql.pages import RowPage, count_rows, fetch_page
from sql.rows import left_out

T = TypeVar("T")


class SoftDeletable(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def deleted_at(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Ordering:
    """One entry of `orderBy`: a sort field by its enum name."""

    field: str
    descending: bool = False
    nulls_first: bool | None = None


@dataclass(frozen=True, slots=True)
class ConnectionArgs:
    page: PageArgs = field(default_factory=PageArgs)
    filter: Mapping[str, Any] | None = None
    order_by: Sequence[Ordering] = ()
    include_deleted: bool = False
    """Asked for soft-deleted rows too: honoured for staff, for whom they exist."""
    read_rows: bool = True
    """False when only figures of the set are asked for (totalCount, aggregate, groupBy):
    the page is checked but not read."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    sort_values: list[tuple[Any, ...]]
    digest: str
    has_next_page: bool
    has_previous_page: bool

    def cursor(self, index: int) -> str:
        """The cursor of item `index`, made when asked for: most queries ask for few."""
        return encode_cursor(self.sort_values[index], digest=self.digest)


@dataclass(frozen=True, slots=True)
class PagePlan:
    """A validated page request: what to read, and the digest its cursors carry."""

    spec: PageSpec
    digest: str
    read_rows: bool = True

    @property
    def shape(self) -> tuple[Any, ...]:
        """Identifies the page apart from its parent: nested loaders batch by it."""
        return (self.digest, self.spec.after, self.spec.backward, self.spec.limit)


def plan_page(
    ctx: RequestContext,
    args: ConnectionArgs,
    *,
    entity: Entity,
    scope: str,
    default_order: Sequence[Ordering],
    leading: Sequence[SortKey] = (),
    where: tuple[str, ...] = (),
    extra_args: tuple[Any, ...] = (),
) -> PagePlan:
    """Checks the page arguments and turns `orderBy` into a total ordering.

    `leading` sort keys (search relevance) come before the client's ordering only when the
    client gave none; `where` and `extra_args` add static conditions (see `PageSpec`).
    """
    backward, size, cursor = page_bounds(ctx, args.page)
    chosen = [_sort_key(entity, o) for o in args.order_by]
    order = with_tiebreak(chosen or [*leading, *(_sort_key(entity, o) for o in default_order)])
    # Soft-deleted rows exist for staff alone; to anyone else the request is the plain one.
    include_deleted = args.include_deleted and ctx.viewer.is_staff
    digest = page_digest(
        order, scope=scope, filter=args.filter, args=(*extra_args, include_deleted)
    )
    after = None if cursor is None else decode_cursor(cursor, order=order, digest=digest)
    spec = PageSpec(
        entity=entity,
        order=order,
        after=after,
        backward=backward,
        limit=size,
        filter=args.filter,
        where=where,
        args=extra_args,
        owner=ctx.viewer.owner,
        include_deleted=include_deleted,
        omit=left_out(entity.row_type),
    )
    return PagePlan(spec=spec, digest=digest, read_rows=args.read_rows)


def page_bounds(ctx: RequestContext, page: PageArgs) -> tuple[bool, int, str | None]:
    """Whether the page reads backward, its size and its cursor, once checked."""
    if page.first is not None and page.last is not None:
        raise BadUserInput("pass either `first` or `last`, not both")
    backward = page.last is not None
    if backward and page.after is not None:
        raise BadUserInput("`after` goes with `first`; use `before` with `last`")
    if not backward and page.before is not None:
        raise BadUserInput("`before` goes with `last`; use `after` with `first`")
    name = "last" if backward else "first"
    size = page.last if backward else page.first
    limits = ctx.page_limits
    if size is None:
        size = limits.default
    elif size < 0:
        raise BadUserInput(f"`{name}` must not be negative (got {size})")
    elif size > limits.maximum:
        raise BadUserInput(f"`{name}` must be at most {limits.maximum} (got {size})")
    return backward, size, page.before if backward else page.after


def edge_page(plan: PagePlan, row: Any) -> Page[Any]:
    """A page of `row` alone, with the cursor the connection `plan` reads would give it: a
    client pages on from a row it just created. Only orderings over plain columns qualify
    (every default ordering is one)."""
    values = tuple(getattr(row, _column(key)) for key in plan.spec.order)
    return Page(
        items=[row],
        sort_values=[values],
        digest=plan.digest,
        has_next_page=False,
        has_previous_page=False,
    )


def _column(key: SortKey) -> str:
    column = key.expression.removeprefix("{t}.")
    if not column.isidentifier():
        raise ValueError(f"{key.expression} is not a plain column")
    return column


def _sort_key(entity: Entity, ordering: Ordering) -> SortKey:
    key = entity.sortable.get(ordering.field)
    if key is None:  # the schema's enums allow only whitelisted fields
        raise BadUserInput(f"{entity.table} cannot be ordered by {ordering.field}")
    return SortKey(key.expression, key.kind, ordering.descending, ordering.nulls_first)


def to_page(plan: PagePlan, rows: RowPage) -> Page[Any]:
    """A page in the requested order with exact page info and a cursor per row."""
    items, values = rows.rows, rows.sort_values
    if plan.spec.backward:
        items, values = items[::-1], values[::-1]
    ahead, behind = rows.more_ahead, rows.any_behind
    return Page(
        items=items,
        sort_values=values,
        digest=plan.digest,
        has_next_page=behind if plan.spec.backward else ahead,
        has_previous_page=ahead if plan.spec.backward else behind,
    )


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A page, and how to count and aggregate everything it was cut from (run only when
    asked: one statement per call, whatever the measures)."""

    page: Page[T]
    count: Callable[[], Awaitable[int]]
    aggregate: Callable[[tuple[Measure, ...]], Awaitable[Figures]] = field(
        default=lambda _measures: _nothing()
    )
    plan: PagePlan | None = None
    """What the page was read with: its set is what groups are made of."""
    parent: tuple[str, UUID] | None = None
    """For a nested page, the column pointing at the parent and the parent's id."""
    rendered: str | None = None
    """A page the database rendered (`resolvers.rendered.rendered_listing`): the JSON text
    of its items, and `page` holds the sort values of its first and last items alone."""


NO_ROWS = RowPage(rows=[], sort_values=[], more_ahead=False, any_behind=False)


async def root_listing(ctx: RequestContext, plan: PagePlan) -> Listing[Any]:
    with filter_errors():
        rows = await fetch_page(ctx.reads, plan.spec) if plan.read_rows else NO_ROWS
    count, aggregate = root_figures(ctx, plan)
    return Listing(page=to_page(plan, rows), count=count, aggregate=aggregate, plan=plan)


def root_figures(
    ctx: RequestContext, plan: PagePlan
) -> tuple[Callable[[], Awaitable[int]], Callable[[tuple[Measure, ...]], Awaitable[Figures]]]:
    """How to count and aggregate the set a root page is cut from (run when called)."""

    async def count() -> int:
        with filter_errors():
            return await count_rows(ctx.reads, plan.spec)

    async def aggregate(measures: tuple[Measure, ...]) -> Figures:
        with filter_errors():
            return await aggregate_rows(ctx.reads, plan.spec, measures=measures)

    return count, aggregate


async def nested_listing(
    ctx: RequestContext, plan: PagePlan, *, parent_key: str, parent_id: UUID
) -> Listing[Any]:
    """One parent's page, batched with every other parent asking for the same shape."""
    with filter_errors():
        rows = NO_ROWS
        if plan.read_rows:
            rows = await ctx.loaders.nested_pages.load(
                plan.spec, shape=plan.shape, parent_key=parent_key, parent_id=parent_id
            )

    async def count() -> int:
        with filter_errors():
            return await ctx.loaders.nested_counts.load(
                plan.spec, shape=plan.digest, parent_key=parent_key, parent_id=parent_id
            )

    async def aggregate(measures: tuple[Measure, ...]) -> Figures:
        with filter_errors():
            return await ctx.loaders.nested_aggregates.load(
                plan.spec,
                shape=(plan.digest, measures),
                parent_key=parent_key,
                parent_id=parent_id,
                measures=measures,
            )

    return Listing(
        page=to_page(plan, rows),
        count=count,
        aggregate=aggregate,
        plan=plan,
        parent=(parent_key, parent_id),
    )


async def _nothing() -> Figures:
    raise LookupError("these items have no aggregate")


@contextlib.contextmanager
def filter_errors() -> Iterator[None]:
    """Turns the builder's refusal of a filter into a client error."""
    try:
        yield
    except FilterError as error:
        raise BadUserInput(str(error)) from None
