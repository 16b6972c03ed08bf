"""What a request derives from its arguments is derived once, and a bounded number kept."""

from __future__ import annotations

from resolvers.context import MAX_DERIVED, PageLimits, RequestContext


async def test_derived_once_per_key_and_no_more_than_the_bound_kept() -> None:
    ctx = RequestContext(db=None, page_limits=PageLimits(10, 100), request_id="r")  # type: ignore[arg-type]
    made: list[int] = []

    def make(n: int) -> object:
        made.append(n)
        return {"n": n}

    kept = object()
    first = ctx.derive(("k", 0), kept, lambda: make(0))
    assert ctx.derive(("k", 0), kept, lambda: make(0)) is first
    assert made == [0]
    for n in range(1, MAX_DERIVED + 5):
        ctx.derive(("k", n), kept, lambda n=n: make(n))  # type: ignore[misc]
    made.clear()
    ctx.derive(("k", 1), kept, lambda: make(1))
    ctx.derive(("k", MAX_DERIVED + 2), kept, lambda: make(-1))
    assert made == [-1]  # the early ones kept, the ones past the bound made again
