"""How many GraphQL executions run at once, and for how long each may run.

Past `max_concurrent` running executions a request is turned away at once (no queue: a
queue under overload only turns into timeouts later), and each admitted execution runs
under a deadline. Health endpoints never come here, so they are never shed.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Overloaded(Exception):
    """Every execution slot is taken."""


class DeadlineExceeded(Exception):
    """The execution ran past its deadline and was cancelled."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"deadline of {seconds:g} s exceeded")
        self.seconds = seconds


class Admission:
    """Counts running executions. One event loop runs them all, so a plain counter is
    enough (and, unlike `asyncio.Semaphore`, it is bound to no loop).

    Deadlines share one timer: every execution gets the same time limit, so running
    executions end their time in the order they started, and the timer waits for the
    oldest. `asyncio.timeout` per execution set and cancelled a timer of its own each
    time, a tenth of a short read's cost."""

    def __init__(self, *, max_concurrent: int, deadline: float | None) -> None:
        self.max_concurrent = max_concurrent
        self.deadline = deadline
        self.running = 0
        self.refused = 0  # since start, for metrics
        self.timed_out = 0
        self._deadlines: dict[asyncio.Task[Any], float] = {}  # oldest first
        self._expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def slot(self) -> _Slot:
        """`async with admission.slot():` runs the block in a slot, within the deadline;
        `Overloaded` when none is free, `DeadlineExceeded` when the block ran out of time
        (it was cancelled where it was: open transactions roll back as they unwind)."""
        return _Slot(self)

    def _set_timer(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        self._timer = loop.call_at(when, self._expire, loop)
        self._timer_loop = loop

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Cancels every execution past its deadline; waits for the next oldest."""
        self._timer = None
        now = loop.time() + _EARLY
        for task, ends in list(self._deadlines.items()):
            if ends > now:
                self._set_timer(loop, ends)
                return
            del self._deadlines[task]
            self._expired.add(task)
            task.cancel()


_EARLY = 0.001
"""A timer may fire a little before its time (the loop's clock resolution); an execution
whose deadline is this close has run out."""


class _Slot:
    """One admitted execution (a class, not a generator: it is on every request's path)."""

    __slots__ = ("_admission", "_cancelling", "_task")

    def __init__(self, admission: Admission) -> None:
        self._admission = admission
        self._task: asyncio.Task[Any] | None = None
        self._cancelling = 0

    async def __aenter__(self) -> None:
        admission = self._admission
        if admission.running >= admission.max_concurrent:
            admission.refused += 1
            raise Overloaded
        admission.running += 1
        if admission.deadline is not None:
            task = self._task = asyncio.current_task()
            assert task is not None
            self._cancelling = task.cancelling()
            loop = task.get_loop()
            ends = admission._deadlines[task] = loop.time() + admission.deadline
            if admission._timer is None or admission._timer_loop is not loop:
                admission._set_timer(loop, ends)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: Any
    ) -> None:
        admission = self._admission
        admission.running -= 1
        task = self._task
        if task is None:
            return
        if admission._deadlines.pop(task, None) is None and task in admission._expired:
            admission._expired.discard(task)
            # As asyncio.timeout does: the cancellation was ours unless someone else's
            # came on top of it.
            if task.uncancel() <= self._cancelling and kind is asyncio.CancelledError:
                assert admission.deadline is not None
                admission.timed_out += 1
                raise DeadlineExceeded(admission.deadline) from None
