"""graphql-core's executor as the engine runs it: which errors an answer lists does not
depend on timing, and no work of a request outlives it.

graphql-core gathers the fields of an object (and the items of a list) with
`gather_with_cancel`: when one fails and its null must spread to the parent, the siblings
still running are cancelled, and the answer lists the errors of those that happened to
fail first. Which those are depends on how long each sibling's reads take, and a compiled
run's fallback to graphql-core (its reads answered from memory) ends them in another order
than a plain run: the same query listed different errors on the two paths. Here every
sibling settles first, and the first failure in field order then spreads: every error the
siblings' nullable fields met is listed, with that one failure, whatever the timing
(`engine.errors.in_document_order` orders them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from graphql.execution import Executor
from graphql.execution import executor as graphql_core_executor


async def settle_then_raise(*awaitables: Awaitable[Any]) -> list[Any]:
    """Every awaitable's outcome; once all have settled, the first failure in their order
    is raised."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


# The name graphql-core's executor gathers fields and list items with.
graphql_core_executor.gather_with_cancel = settle_then_raise  # type: ignore[attr-defined]


class TrackedExecutor(Executor[Any]):
    """graphql-core's executor, put in `made` so that its caller can wait for the work it
    settles in the background: a field that fails at once (no sibling awaited yet) nulls
    its parent while the siblings already started still run. They must not outlive the
    request (they read through its loaders, a mutation's through its transaction), nor be
    left pending when a loop ends (never-awaited coroutines, collected later in whatever
    frame runs then)."""

    def __init__(self, *args: Any, made: list[Executor[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        made.append(self)


async def settled(made: list[Executor[Any]]) -> None:
    """Waits for the background work of every executor in `made`."""
    for executor in made:
        while executor.background_futures:
            await asyncio.wait(list(executor.background_futures))
