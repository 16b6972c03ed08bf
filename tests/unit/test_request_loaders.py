"""A request's loaders are made when first asked for, and read through whatever its reads
go through then: a query that reads once (`read_once`) gets loaders reading once."""

from __future__ import annotations

from resolvers.context import PageLimits, RequestContext
from sql.read_once import ReadOnce


def context() -> RequestContext:
    return RequestContext(db=None, page_limits=PageLimits(10, 100), request_id="r")  # type: ignore[arg-type]


async def test_loaders_made_after_read_once_read_once() -> None:
    ctx = context()
    ctx.read_once()
    assert isinstance(ctx.reads, ReadOnce)
    loaders = ctx.loaders
    assert loaders._executor is ctx.reads
    assert ctx.loaders is loaders  # made once


async def test_loaders_made_before_read_once_are_replaced_by_ones_that_read_once() -> None:
    ctx = context()
    before = ctx.loaders
    assert before._executor is ctx.db
    ctx.read_once()
    after = ctx.loaders
    assert after is not before
    assert after._executor is ctx.reads
    assert ctx.unit_of_work().loaders is after
