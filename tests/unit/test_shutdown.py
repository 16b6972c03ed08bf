"""The stop-signal hook: readiness flips at once, the server's own handler runs later."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from server.shutdown import Shutdown


@contextlib.contextmanager
def recorded(signum: int) -> Iterator[list[int]]:
    """A handler of someone else's in place for the block (as uvicorn's is while serving)."""
    calls: list[int] = []

    def record(number: int, _frame: FrameType | None) -> None:
        calls.append(number)

    before = signal.signal(signum, record)
    try:
        yield calls
    finally:
        signal.signal(signum, before)


async def test_sigterm_marks_stopping_at_once_and_hands_on_after_the_delay() -> None:
    with recorded(signal.SIGTERM) as calls:
        shutdown = Shutdown(delay=0.2)
        shutdown.install()
        try:
            signal.raise_signal(signal.SIGTERM)
            assert shutdown.stopping
            assert calls == []
            await asyncio.sleep(0.1)
            assert calls == []
            await asyncio.sleep(0.25)
            assert calls == [signal.SIGTERM]
        finally:
            shutdown.uninstall()
        assert signal.getsignal(signal.SIGTERM).__name__ == "record"  # type: ignore[union-attr]


async def test_a_second_sigterm_and_sigint_are_handed_on_at_once() -> None:
    with recorded(signal.SIGTERM) as terms, recorded(signal.SIGINT) as ints:
        shutdown = Shutdown(delay=30)
        shutdown.install()
        try:
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)
            assert terms == [signal.SIGTERM]
            signal.raise_signal(signal.SIGINT)
            assert ints == [signal.SIGINT]
        finally:
            shutdown.uninstall()


async def test_nothing_is_hooked_where_a_signal_keeps_its_default_action() -> None:
    before = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        shutdown = Shutdown(delay=1)
        shutdown.install()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        shutdown.uninstall()
    finally:
        signal.signal(signal.SIGTERM, before)
