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
    enough (and, unlike `asyncio.Semaphore`, it is bound to no loop)."""

    def __init__(self, *, max_concurrent: int, deadline: float | None) -> None:
        self.max_concurrent = max_concurrent
        self.deadline = deadline
        self.running = 0

    def slot(self) -> _Slot:
        """`async with admission.slot():` runs the block in a slot, within the deadline;
        `Overloaded` when none is free, `DeadlineExceeded` when the block ran out of time
        (it was cancelled where it was: open transactions roll back as they unwind)."""
        return _Slot(self)


class _Slot:
    """One admitted execution (a class, not a generator: it is on every request's path)."""

    __slots__ = ("_admission", "_timeout")

    def __init__(self, admission: Admission) -> None:
        self._admission = admission
        self._timeout: asyncio.Timeout | None = None

    async def __aenter__(self) -> None:
        admission = self._admission
        if admission.running >= admission.max_concurrent:
            raise Overloaded
        admission.running += 1
        self._timeout = asyncio.timeout(admission.deadline)
        await self._timeout.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: Any
    ) -> None:
        admission = self._admission
        admission.running -= 1
        assert self._timeout is not None
        try:
            await self._timeout.__aexit__(kind, error, trace)
        except TimeoutError:
            if self._timeout.expired() and admission.deadline is not None:
                raise DeadlineExceeded(admission.deadline) from None
            raise
