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

A head's deadline does not run while the protocol itself has paused reading (a request is
queued behind answers still under way): the rest of the head waits unread in the kernel,
through no fault of the client. It is pushed back while reading stays paused, and starts
afresh when reading resumes.
"""

from __future__ import annotations

import asyncio
import math

from uvicorn.protocols.http.flow_control import FlowControl


class Deadlines:
    """Mixed into the HTTP protocol, which calls `head_began`, `head_arrived`, `idle`
    and `busy` as a connection goes, `reading_resumed` when it resumes reading it had
    paused, and `stop` when it is lost."""

    loop: asyncio.AbstractEventLoop
    flow: FlowControl
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

    def reading_resumed(self) -> None:
        """Reading, paused by the protocol, resumed: a head under way gets its time anew."""
        if self._head_deadline is not None:
            self._head_deadline = self._at(self.loop.time() + self.head_timeout)

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
        now = self.loop.time()
        if head is not None and head <= now and self.flow.read_paused:
            head = self._head_deadline = now + self.head_timeout
        deadline = min(d for d in (head, idle) if d is not None)
        if now < deadline:
            self._at(deadline)
        elif not self.transport.is_closing():
            self.transport.close()
