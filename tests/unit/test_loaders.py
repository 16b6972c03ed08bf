"""The per-request loaders' sharing of one read between concurrent callers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest

from loaders.batching import load_all, observed_batch
from loaders.loaders import ByKeyLoader
from sql.observe import Batch, current_batch, sink
from sql.read_once import reads_here


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


def counting_loader(fail: bool = False) -> tuple[ByKeyLoader[int], list[list[UUID]]]:
    """A loader that records the keys of each batch (and, with `fail`, raises)."""
    batches: list[list[UUID]] = []

    async def fetch(_executor: Any, *, ids: list[UUID]) -> dict[UUID, int]:
        batches.append(ids)
        if fail:
            raise RuntimeError("the database went away")
        return {i: 2 * i.int for i in ids}

    return ByKeyLoader[int](None, fetch, int), batches  # type: ignore[arg-type]


async def test_keys_asked_for_within_two_turns_of_the_loop_share_one_batch() -> None:
    """graphql-core reaches sibling fields a turn or so apart; their keys must still
    meet in one statement (a third turn starts the batch)."""
    loader, batches = counting_loader()

    async def later(n: int, turns: int) -> int:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await loader.load(key(n))

    assert list(await asyncio.gather(later(1, 0), later(2, 1), later(1, 1))) == [2, 4, 2]
    assert batches == [[key(1), key(2)]]
    assert await later(3, 0) == 6  # after the batch: a batch of its own
    assert batches[1:] == [[key(3)]]


async def test_a_failed_batch_fails_its_callers_and_keeps_its_error() -> None:
    """Within a request a failed read is not tried again: asking again (graphql-core after
    an abandoned compiled run) gets the same error without another batch."""
    loader, batches = counting_loader(fail=True)
    results = await asyncio.gather(loader.load(key(1)), loader.load(key(2)), return_exceptions=True)
    assert [str(r) for r in results] == ["the database went away"] * 2
    assert batches == [[key(1), key(2)]]
    with pytest.raises(RuntimeError, match="went away"):
        await loader.load(key(1))
    with pytest.raises(RuntimeError, match="went away"):
        await load_all(loader, [key(2), key(1)])
    assert batches == [[key(1), key(2)]]  # asked again, not read again


async def test_a_failed_direct_batch_keeps_its_error() -> None:
    loader, batches = counting_loader(fail=True)
    with pytest.raises(RuntimeError, match="went away"):
        await load_all(loader, [key(1), key(2), key(3)])
    with pytest.raises(RuntimeError, match="went away"):
        await loader.load(key(2))
    assert batches == [[key(1), key(2), key(3)]]


async def test_a_value_that_is_an_error_fails_only_its_own_key() -> None:
    async def fetch(_executor: Any, *, ids: list[UUID]) -> dict[UUID, Any]:
        return {i: LookupError(f"no {i.int}") if i.int == 2 else i.int for i in ids}

    loader = ByKeyLoader[Any](None, fetch, int)  # type: ignore[arg-type]
    results = await asyncio.gather(loader.load(key(1)), loader.load(key(2)), return_exceptions=True)
    assert results[0] == 1
    assert isinstance(results[1], LookupError)


async def test_a_batch_with_the_wrong_number_of_values_fails_every_caller() -> None:
    class Short(ByKeyLoader[int]):
        async def batch_load_fn(self, keys: Sequence[UUID]) -> list[int]:
            return [1]

    loader = Short(None, None, int)  # type: ignore[arg-type]
    results = await asyncio.gather(loader.load(key(1)), loader.load(key(2)), return_exceptions=True)
    assert all(isinstance(r, TypeError) for r in results)
    assert all(isinstance(f.exception(), TypeError) for f in loader.known.values())


async def test_a_direct_batch_with_the_wrong_number_of_values_fails_every_caller() -> None:
    """A level read at once (`load_all`) settles the futures other callers wait on: too
    few values must fail them all, not leave some waiting forever."""
    began = asyncio.Event()

    class Short(ByKeyLoader[int]):
        async def batch_load_fn(self, keys: Sequence[UUID]) -> list[int]:
            began.set()
            await asyncio.sleep(0)
            return [1]

    loader = Short(None, None, int)  # type: ignore[arg-type]
    first = asyncio.create_task(load_all(loader, [key(1), key(2), key(3)]))
    await began.wait()
    second = asyncio.create_task(load_all(loader, [key(2), key(3)]))  # waits on the first's
    async with asyncio.timeout(2):  # before: the second waited forever
        results = await asyncio.gather(first, second, return_exceptions=True)
    assert all(isinstance(r, TypeError) for r in results), results
    assert all(isinstance(f.exception(), TypeError) for f in loader.known.values())


async def test_a_lone_key_is_read_in_its_callers_task_and_kept() -> None:
    """The one root field of a query reads its key without a batch task; the key is then
    known to the loader like any other (graphql-core asking again reads nothing)."""
    tasks: list[asyncio.Task[Any] | None] = []

    async def fetch(_executor: Any, *, ids: list[UUID]) -> dict[UUID, int]:
        tasks.append(asyncio.current_task())
        return {i: 2 * i.int for i in ids}

    loader = ByKeyLoader[int](None, fetch, int)  # type: ignore[arg-type]
    assert await loader.load_alone(key(4)) == 8
    assert tasks == [asyncio.current_task()]  # before: a batch task of its own
    assert await loader.load(key(4)) == 8
    assert await loader.load_alone(key(4)) == 8
    assert len(tasks) == 1


async def test_a_lone_key_keeps_its_error_and_a_cancelled_one_is_read_again() -> None:
    loader, batches = counting_loader(fail=True)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            await loader.load_alone(key(1))
    assert batches == [[key(1)]]
    slow, began = slow_loader()
    first = asyncio.create_task(slow.load_alone(key(3)))
    await began.wait()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    async with asyncio.timeout(2):
        assert await slow.load_alone(key(3)) == 6  # forgotten, so read again


class _Batches:
    """A statement sink that notes batches only."""

    def statement(self, *_: Any) -> None:
        pass

    def waited(self, seconds: float) -> None:
        pass

    def batch(self, name: Any, keys: int) -> Batch:
        return Batch(name(), keys)


@pytest.mark.parametrize("watched", [False, True])
async def test_a_batch_ends_what_it_set_for_its_reads(watched: bool) -> None:
    """A batch's reads run as no waiter can cancel them (`reads_here`) and point to it
    (`current_batch`); the settings end with the batch, not with the task that ran it:
    whoever awaits it goes on as before."""
    seen: list[tuple[bool, Batch | None]] = []

    async def fetch(_executor: Any, *, ids: list[UUID]) -> dict[UUID, int]:
        seen.append((reads_here.get(), current_batch.get()))
        return {i: 2 * i.int for i in ids}

    loader = ByKeyLoader[int](None, fetch, int)  # type: ignore[arg-type]
    watching = sink.set(_Batches() if watched else None)
    try:
        assert await observed_batch(loader, [key(1), key(2)]) == [2, 4]
    finally:
        sink.reset(watching)
    ((here, batch),) = seen
    assert here
    assert (batch is not None) == watched
    assert not reads_here.get()  # before: still set in this task once the batch was done
    assert current_batch.get() is None
