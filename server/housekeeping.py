"""Work a server process does besides answering: pruning what expires, and settling the
garbage collector once the app has started."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from typing import Any

from sql import event_streams, feed, idempotency
from sql.pool import Database

log = logging.getLogger("storefront.app")

PURGE_EVERY_SECONDS = 600.0


async def purge_expired_keys(db: Database) -> None:
    """Deletes expired idempotency keys now and then; every worker does it, harmlessly."""
    while True:
        await asyncio.sleep(PURGE_EVERY_SECONDS)  # not at start-up: keys expire in hours
        try:
            purged = await idempotency.purge_expired(db)
            if purged:
                log.info("purged %d expired idempotency keys", purged)
        except Exception:  # the database may be away; try again next round
            log.warning("could not purge expired idempotency keys", exc_info=True)


PRUNE_EVENTS_EVERY_SECONDS = 60.0
RESERVATION_SECONDS = 600.0


async def prune_events(db: Database, *, retention_hours: float) -> None:
    """Deletes change events older than the retention window, a batch at a time; one
    process at a time does it (the others find the lock taken and skip the round)."""
    while True:
        await asyncio.sleep(PRUNE_EVENTS_EVERY_SECONDS)
        try:
            pruned = 1
            while pruned:  # batch after batch, each a short transaction of its own
                pruned = await feed.prune(db, older_than_seconds=retention_hours * 3600)
            # Reservations never connected, or whose token expired, and those a process
            # that ended without letting go of them still holds.
            await event_streams.prune(db, older_than_seconds=RESERVATION_SECONDS)
        except Exception:  # the database may be away; try again next round
            log.warning("could not prune change events", exc_info=True)


@functools.cache
def settle_collector() -> None:
    """Once per process, when the app has started: what exists now (the schema, the modules,
    the pool) lives as long as the process, so the cyclic garbage collector stops looking at
    it, and it runs less often: a large response makes thousands of short-lived objects,
    which at the default threshold meant several collections per request."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


GC_THRESHOLD = 20_000  # allocations between young-generation collections (default 700)


_background: set[asyncio.Task[None]] = set()


def later(work: Any) -> None:
    """Runs a coroutine on the loop, keeping a reference until it ends."""
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)
