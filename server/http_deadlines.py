"""A connection's two deadlines on one timer: the request head's and the idle connection's.

uvicorn closes a kept-alive connection that stays idle between requests, but not one that
was opened and never used, nor one whose request head trickles in: a client that sends half
a head held its connection as long as it liked. Here a connection is closed when a request
head has not arrived `head_timeout` seconds after the connection opened or the request
began, and (as uvicorn does) when it idles `timeout_keep_alive` seconds after a response.

uvicorn sets a timer after every response and cancels it when the next request's bytes
arrive; a timer per request head would be the same again. Each cost as much as reading the
head. Here the deadlines move instead, and the one timer, when it fires before the nearest
deadline, sets itself again for it.
"""

from __future__ import annotations

import asyncio
import math


class Deadlines:
    """Mixed into the HTTP protocol, which calls `head_began`, `head_arrived`, `idle`
    and `busy` as a connection goes, and `stop` when it is lost."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    head_timeout: float
    timeout_keep_alive: int  # as uvicorn declares it; a float works as well

    _timer: asyncio.TimerHandle | None = None
    _timer_at = math.inf
    _head_deadline: float | None = None  # when the head under way must have arrived by
    _idle_deadline: float | None = None  # when the idle connection closes

    def head_began(self) -> None:
        """A request head is under way (or may be: the connection just opened). Its
        deadline stands from the first call until the head arrives."""
        if self._head_deadline is None:
            self._head_deadline = self._at(self.loop.time() + self.head_timeout)

    def head_arrived(self) -> None:
        self._head_deadline = None  # the timer, if it runs, finds nothing to time

    def idle(self) -> None:
        """A response is done and nothing follows it yet."""
        self._idle_deadline = self._at(self.loop.time() + self.timeout_keep_alive)

    def busy(self) -> None:
        """Bytes arrived: the connection is not idle."""
        self._idle_deadline = None

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _at(self, deadline: float) -> float:
        """Makes sure the timer fires by `deadline`."""
        if self._timer is None or deadline < self._timer_at:
            self.stop()
            self._timer = self.loop.call_at(deadline, self._fired)
            self._timer_at = deadline
        return deadline

    def _fired(self) -> None:
        self._timer = None
        head, idle = self._head_deadline, self._idle_deadline
        if head is None and idle is None:  # nothing to time: the next deadline sets a timer
            return
        deadline = min(d for d in (head, idle) if d is not None)
        if self.loop.time() < deadline:
            self._at(deadline)
        elif not self.transport.is_closing():
            self.transport.close()
