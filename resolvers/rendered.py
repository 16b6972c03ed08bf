"""What the database renders as JSON text: subtrees of related rows (`sql.rendered`), for
every parent of a level with one statement, and a root connection's page with its count
(`sql.rendered_pages`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from resolvers.connections import Listing, PagePlan, filter_errors, root_figures, to_page
from resolvers.context import RequestContext
from sql.observe import batch_of
from sql.pages import RowPage
from sql.rendered import LevelStatement
from sql.rendered_pages import PageShape, fetch_rendered_page


async def render_level(
    ctx: RequestContext, statement: LevelStatement, rows: Sequence[Any], name: Callable[[], str]
) -> list[list[str | None]]:
    """Per subtree of `statement`, its text for each parent row (None: a value that may
    not be null was). Read as the loaders read: through the request's reads, within the
    viewer's owner scope, and traced as a batch named `name()`."""
    keys = [list(map(attrgetter(key), rows)) for key in statement.keys]
    with batch_of(name, len(rows)):
        records = await statement.fetch(ctx.reads, keys, ctx.viewer.owner)
    return [list(column) for column in zip(*records, strict=True)]


async def rendered_listing(ctx: RequestContext, plan: PagePlan, shape: PageShape) -> Listing[Any]:
    """The page `plan` asks for with its items rendered as `shape` says, in one statement
    with its count when the shape asks for it. Page info and cursors are the row path's
    (`to_page`)."""
    with filter_errors():
        found = await fetch_rendered_page(ctx.reads, plan.spec, shape)
    rows = RowPage([], found.sort_values, found.more_ahead, found.any_behind)
    page = to_page(plan, rows)  # no rows: the first and last items' sort values alone
    total = found.total
    count, aggregate = root_figures(ctx, plan)

    async def counted() -> int:  # read with the page when asked for with it
        return await count() if total is None else total

    return Listing(page, counted, aggregate, plan=plan, rendered=found.items)
