"""The per-request loaders' sharing of one read between concurrent callers."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from loaders.loaders import ByKeyLoader, load_all


def key(n: int) -> UUID:
    return UUID(int=n)


def slow_loader() -> tuple[ByKeyLoader[int], asyncio.Event]:
    """A loader whose batches take a while, doubling each key's number; the event says a
    batch began."""
    began = asyncio.Event()

    async def fetch(_executor: Any, *, ids: list[UUID]) -> dict[UUID, int]:
        began.set()
        await asyncio.sleep(0.05)
        return {i: 2 * i.int for i in ids}

    return ByKeyLoader[int](None, fetch, int), began  # type: ignore[arg-type]


async def test_a_cancelled_caller_leaves_a_queued_key_to_the_others() -> None:
    """graphql-core cancels the siblings of a failed field; another field waiting on the
    same key must still get its value, not the cancellation."""
    loader, began = slow_loader()
    first = asyncio.create_task(load_all(loader, [key(1)]))
    second = asyncio.create_task(load_all(loader, [key(1)]))
    await began.wait()
    first.cancel()
    async with asyncio.timeout(2):  # before: cancelled with the first, or waiting forever
        assert await second == [2]
    assert first.cancelled()


async def test_a_cancelled_caller_leaves_a_direct_batch_to_the_others() -> None:
    loader, began = slow_loader()
    first = asyncio.create_task(load_all(loader, [key(1), key(2), key(3)]))
    await began.wait()
    second = asyncio.create_task(load_all(loader, [key(2), key(3)]))  # waits on the first's batch
    await asyncio.sleep(0)
    first.cancel()
    async with asyncio.timeout(2):
        assert await second == [4, 6]
    assert await load_all(loader, [key(1), key(3)]) == [
        2,
        6,
    ]  # the batch finished and is remembered
