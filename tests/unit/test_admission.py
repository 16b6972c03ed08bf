"""Execution slots: a bound on how many run at once, and one time limit for each."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.admission import Admission, DeadlineExceeded, Overloaded


async def run_for(admission: Admission, seconds: float) -> float:
    """Holds a slot for `seconds` (or until the deadline); returns when it ended."""
    async with admission.slot():
        await asyncio.sleep(seconds)
    return time.monotonic()


async def test_each_execution_ends_at_its_own_deadline() -> None:
    admission = Admission(max_concurrent=8, deadline=0.2)
    started = time.monotonic()
    first = asyncio.create_task(run_for(admission, 5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(run_for(admission, 5))
    quick = asyncio.create_task(run_for(admission, 0.05))
    results = await asyncio.gather(first, second, quick, return_exceptions=True)
    ended = time.monotonic() - started

    assert isinstance(results[0], DeadlineExceeded)
    assert isinstance(results[1], DeadlineExceeded)
    assert str(results[0]) == "deadline of 0.2 s exceeded"
    assert isinstance(results[2], float)  # finished in time, untouched
    assert 0.28 < ended < 1.5, ended  # the second ran its own 0.2 s, from 0.1 s on
    assert admission.running == 0


async def test_the_timer_outlives_executions_that_finish_early() -> None:
    """The oldest execution finishing first must not leave the next without a deadline."""
    admission = Admission(max_concurrent=8, deadline=0.2)
    early = asyncio.create_task(run_for(admission, 0.01))
    late = asyncio.create_task(run_for(admission, 5))
    assert isinstance(await early, float)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        await late
    assert time.monotonic() - started < 1.5
    # and a later execution, once nothing runs, gets its deadline too
    with pytest.raises(DeadlineExceeded):
        await run_for(admission, 5)


async def test_someone_elses_cancellation_stays_a_cancellation() -> None:
    admission = Admission(max_concurrent=8, deadline=5)
    task = asyncio.create_task(run_for(admission, 5))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert admission.running == 0


async def test_no_slot_past_the_limit_and_none_lost() -> None:
    admission = Admission(max_concurrent=2, deadline=None)
    holders = [asyncio.create_task(run_for(admission, 0.1)) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Overloaded):
        await run_for(admission, 0)
    await asyncio.gather(*holders)
    assert admission.running == 0
    assert isinstance(await run_for(admission, 0), float)
