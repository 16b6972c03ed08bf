"""Subtrees of related rows read as JSON text rendered by the database
(`sql.rendered`), for every parent of a level with one statement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from resolvers.context import RequestContext
from sql.observe import batch_of
from sql.rendered import LevelStatement


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
