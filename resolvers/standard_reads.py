"""The standard reads of any entity: a live row by id, the root connection, a nested one
under a parent, and where a new row sits in the root connection; and a figure per parent
read by a loader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from itertools import repeat
from operator import is_
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

from loaders.batching import load_all
from loaders.loaders import ByIdLoader, ByKeyLoader, Loaders
from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
    Page,
    PagePlan,
    SoftDeletable,
    edge_page,
    nested_listing,
    plan_page,
    root_listing,
)
from resolvers.context import RequestContext
from resolvers.rendered import rendered_listing
from sql.rendered_pages import PageShape
from sql.rows import left_out
from sql.spec import Spec

RowT = TypeVar("RowT", bound=SoftDeletable)
AnyRowT = TypeVar("AnyRowT", bound=Any)
V = TypeVar("V")
Nested = Callable[[RequestContext, Any, ConnectionArgs], Awaitable[Listing[RowT]]]
PerParent = Callable[[RequestContext, Sequence[Any]], Awaitable[list[V]]]


@dataclass(frozen=True, slots=True)
class Reads(Generic[RowT]):
    spec: Spec[RowT]
    scope: str
    """The root connection's name: cursors are bound to it."""
    default_order: tuple[Ordering, ...]

    def one(self, ctx: RequestContext, id: UUID, *, alone: bool = False) -> Awaitable[RowT | None]:
        """`alone`: nothing else in the request runs beside this read (`load_alone`). The
        coroutine of `live` itself, not one that awaits it: a lookup passes through enough."""
        return live(ctx.loaders.by_id(self.spec), id, alone=alone)

    async def by_key(self, ctx: RequestContext, key: str, value: Any) -> RowT | None:
        """The live row the viewer may see whose column `key` holds `value`."""
        return await self.spec.live_by(ctx.reads, key, value, owner=ctx.viewer.owner)

    def plan(
        self, ctx: RequestContext, args: ConnectionArgs, *, scope: str = "", **extra: Any
    ) -> PagePlan:
        """`extra` goes to `plan_page` (static conditions, leading sort keys). Made once
        per request for equal arguments (a filter: the same object), so fields that ask for
        the same page share its plan and its statements."""

        def plan() -> PagePlan:
            return plan_page(
                ctx,
                args,
                entity=self.spec.entity,
                scope=scope or self.scope,
                default_order=self.default_order,
                **extra,
            )

        key = self._plan_key(args, scope, extra)
        return plan() if key is None else ctx.derive(key, args.filter, plan)

    def _plan_key(self, args: ConnectionArgs, scope: str, extra: dict[str, Any]) -> Any:
        # What the rows leave out too: it differs between a compiled run and graphql-core's.
        left = left_out(self.spec.entity.row_type)
        key = (
            "page",
            id(self),
            scope,
            left,
            replace(args, filter=None),
            id(args.filter),
            *extra.items(),
        )
        try:
            hash(key)
        except TypeError:  # an argument of no hashable form: planned each time
            return None
        return key

    async def listing(
        self,
        ctx: RequestContext,
        args: ConnectionArgs,
        *,
        rendered: PageShape | None = None,
        **extra: Any,
    ) -> Listing[RowT]:
        """The root page; with `rendered`, its items as JSON text the database rendered."""
        plan = self.plan(ctx, args, **extra)
        if rendered is not None:
            return await rendered_listing(ctx, plan, rendered)
        return await root_listing(ctx, plan)

    def under(self, *, scope: str, key: str) -> Nested[RowT]:
        """The nested connection of the live rows whose `key` column is their parent's id,
        as `listing(ctx, parent_row, args)`; batched over every parent in the response.
        `scope` names it for its cursors ("category.products")."""

        async def listing(ctx: RequestContext, parent: Any, args: ConnectionArgs) -> Listing[RowT]:
            plan = self.plan(ctx, args, scope=scope)
            return await nested_listing(ctx, plan, parent_key=key, parent_id=parent.id)

        return listing

    def edge(self, ctx: RequestContext, row: RowT) -> Page[RowT]:
        """`row` with its cursor in the root connection in the default ordering."""
        return edge_page(self.plan(ctx, ConnectionArgs()), row)


def per_parent(loader: Callable[[Loaders], ByKeyLoader[V]]) -> PerParent[V]:
    """A figure of each parent row (`figures(ctx, parents)`), read by the loader that
    `loader(ctx.loaders)` picks, for every parent of a level at once."""

    async def figures(ctx: RequestContext, parents: Sequence[Any]) -> list[V]:
        return await load_all(loader(ctx.loaders), [p.id for p in parents])

    return figures


async def live(loader: ByIdLoader[RowT], id: UUID, *, alone: bool = False) -> RowT | None:
    """The row if it exists and is not soft-deleted: what lookups and `node` may show."""
    row = await (loader.load_alone(id) if alone else loader.load(id))
    return row if row is not None and row.deleted_at is None else None


async def existing(loader: ByIdLoader[AnyRowT], ids: Sequence[UUID], *, what: str) -> list[AnyRowT]:
    """The rows foreign keys promise (deleted or not: history keeps pointing at them),
    one per id, each distinct id loaded once."""
    rows = await load_all(loader, ids)
    # By identity, in C (`None in rows` would call each row's dataclass `__eq__`).
    if any(map(is_, rows, repeat(None))):
        missing = next(id for id, row in zip(ids, rows, strict=True) if row is None)
        raise LookupError(f"{what} {missing} is missing although a foreign key points at it")
    return cast(list[AnyRowT], rows)
