"""Readiness during a stop: `/readyz` answers 503 from the moment a stop signal arrives.

Uvicorn handles SIGTERM and SIGINT itself while it serves: at the next tick it closes the
listening socket, lets in-flight requests finish (up to its graceful timeout), and only then
runs the app's lifespan shutdown. A load balancer polling `/readyz` would learn nothing
before the socket closes. So the app chains a handler of its own in front of uvicorn's: it
marks the process as stopping at once, and for SIGTERM (the orchestrator's stop) hands the
signal on only after `delay` seconds, during which requests are still served but `/readyz`
says 503, so traffic can move away before connections are refused. SIGINT (Ctrl-C) and a
second SIGTERM are handed on at once.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Shutdown:
    def __init__(self, *, delay: float) -> None:
        self.delay = delay
        self.stopping = False
        self._chained: dict[int, tuple[Any, Any]] = {}
        self.on_stop: list[Callable[[], None]] = []  # run on the loop at the first signal

    def install(self) -> None:
        """Chains in front of the handlers in place. Only a handler someone installed is
        chained (uvicorn's, while it serves); where a signal keeps its default action (an
        app run in process by tests) or off the main thread, nothing is changed."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for signum in _SIGNALS:
            previous = signal.getsignal(signum)
            if not callable(previous):
                continue
            handler = self._handler(loop, previous)
            signal.signal(signum, handler)
            self._chained[signum] = (handler, previous)

    def uninstall(self) -> None:
        """Puts back the handlers `install` chained to, where ours are still in place."""
        for signum, (handler, previous) in self._chained.items():
            if signal.getsignal(signum) is handler:
                signal.signal(signum, previous)
        self._chained.clear()

    def _handler(self, loop: asyncio.AbstractEventLoop, previous: Any) -> Any:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            first = not self.stopping
            self.stopping = True
            if first:
                for callback in self.on_stop:
                    loop.call_soon_threadsafe(callback)
            if first and signum == signal.SIGTERM and self.delay > 0:
                # A signal handler runs between two bytecodes of whatever the loop was
                # doing: only the thread-safe entry point may touch the loop from here.
                loop.call_soon_threadsafe(loop.call_later, self.delay, previous, signum, None)
            else:
                previous(signum, frame)

        return on_signal
