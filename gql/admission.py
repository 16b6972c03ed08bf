"""How many GraphQL executions run at once, and for how long each may run.

Past `max_concurrent` running executions a request is turned away at once (no queue: a
queue under overload only turns into timeouts later), and each admitted execution runs
under a deadline. Health endpoints never come here, so they are never shed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


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

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Runs the block in a slot, within the deadline; `Overloaded` when none is free,
        `DeadlineExceeded` when the block ran out of time (it was cancelled where it was:
        open transactions roll back as they unwind)."""
        if self.running >= self.max_concurrent:
            raise Overloaded
        self.running += 1
        try:
            async with asyncio.timeout(self.deadline) as timeout:
                yield
        except TimeoutError:
            if timeout.expired() and self.deadline is not None:
                raise DeadlineExceeded(self.deadline) from None
            raise
        finally:
            self.running -= 1
