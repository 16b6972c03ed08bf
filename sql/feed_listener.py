"""One process's follower of the change feed: a dedicated LISTEN connection (outside the
pool, since LISTEN is session state), woken by the writers' NOTIFY, reading new events with
one statement per wake-up and handing each batch on in order.

A read that stops at the horizon while committed events wait above it (a transaction still
in flight below them) reads again after `recheck` seconds: a transaction that ends without
writing to the feed sends no notification. When the connection drops, it reconnects with
backoff and carries on from the last position it read, so nothing committed meanwhile is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import asyncpg

from sql import feed
from sql.feed import ChangeEvent, Position

log = logging.getLogger("storefront.feed")

Deliver = Callable[[list[ChangeEvent]], Awaitable[None]]
Started = Callable[[Position], None]


class FeedListener:
    def __init__(
        self,
        dsn: str,
        deliver: Deliver,
        *,
        recheck: float = 0.05,
        idle_check: float = 5.0,
        max_backoff: float = 5.0,
        started: Started | None = None,
    ) -> None:
        self.dsn = dsn
        self.deliver = deliver
        self.started = started  # told the position it follows from, once
        self.recheck = recheck
        self.idle_check = idle_check  # a read now and then, whatever happens
        self.max_backoff = max_backoff
        self.position: Position | None = None
        self.connected = asyncio.Event()
        self.reads = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Starts following; returns once the first connection listens (or failed once)."""
        self._task = asyncio.create_task(self._run())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self.connected.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                conn = await asyncpg.connect(
                    self.dsn, server_settings={"application_name": "storefront-feed"}
                )
            except Exception:  # whatever the failure, the follower must live on
                log.warning("feed: cannot connect; retrying in %.1fs", backoff, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            began = time.monotonic()
            try:
                await self._follow(conn)
            except Exception:  # a lost connection shows as any of asyncpg's errors
                log.warning("feed: connection lost at %s; reconnecting", self.position)
                self.connected.clear()
                if time.monotonic() - began > self.max_backoff:
                    backoff = 0.1  # it had been up a while: not a flapping server
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 1)

    async def _follow(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()

        def on_termination(_conn: object) -> None:
            lost.set()
            self._wake.set()  # stop waiting: reconnect now

        conn.add_termination_listener(on_termination)
        await conn.add_listener(feed.CHANNEL, lambda *_: self._wake.set())
        if self.position is None:
            self.position = await feed.start_position(conn)
            if self.started is not None:
                self.started(self.position)
        self.connected.set()
        self._wake.set()  # catch up on whatever committed while not listening
        while not lost.is_set():
            waiting = await self._read(conn)
            timeout = self.recheck if waiting else self.idle_check
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            if conn.is_closed():
                break
        raise asyncpg.InterfaceError("the feed connection closed")

    async def _read(self, conn: asyncpg.Connection) -> bool:
        """Reads everything readable now, hands it on; True when more waits above the horizon."""
        assert self.position is not None
        while True:
            self._wake.clear()
            batch = await feed.read_after(conn, self.position)
            self.reads += 1
            if batch.events:
                self.position = batch.end
                try:
                    await self.deliver(batch.events)
                except Exception:  # a fault fanning out must not stop the feed
                    log.exception("feed: delivering %d events failed", len(batch.events))
            if len(batch.events) < feed.READ_LIMIT:
                return batch.waiting
