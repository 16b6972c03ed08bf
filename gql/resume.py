"""Resuming a subscription from a cursor: the events after it, from the outbox, then live.

The stream is in the hub from the start, so every live result published meanwhile is held
back on it (`Stream.held`). The replay reads the events after the cursor from the hub's
window of recent events (`gql.feed_window`) when it holds them, else from the outbox until a
read comes back short: every event the process had read from the feed before the replay
began is in the window, or below the horizon of that read, so it is in the replay, and
every live result after the last position the replay read is released in order. A
replayed event is never released twice: held results at or below that position are
dropped. When more results arrive than may be held, they are let go and the replay reads
once more, since the outbox has them all.

A replayed event's result comes from the hub's recent results when an equal subscriber
(same document, variables and viewer scope) got it; otherwise the selection runs for this
stream and the result is kept for the next one.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from engine.errors import plain_error
from gql.feed_contexts import contexts_at
from resolvers.changes import (
    cursor_of,
    load_documents,
    position_of,
    sees_event,
    until_available,
)
from resolvers.viewer import STAFF
from sql import feed
from sql.feed import ChangeEvent, Position

if TYPE_CHECKING:
    from gql.subscription_stream import Stream
    from gql.subscriptions import Hub

log = logging.getLogger("storefront.subscriptions")

CURSOR_EXPIRED = "CURSOR_EXPIRED"


async def resume(hub: Hub, stream: Stream, cursor: str) -> None:
    """Replays what follows `cursor` to `stream`, then lets its held live results through."""
    try:
        await _resume(hub, stream, cursor)
    except asyncio.CancelledError:
        raise
    except Exception:  # whatever went wrong, the client hears of it and may resume again
        log.exception("resuming a subscription failed (request %s)", stream.request_id)
        stream.stop(plain_error("resuming failed; subscribe again", code="INTERNAL_SERVER_ERROR"))


async def _resume(hub: Hub, stream: Stream, cursor: str) -> None:
    position = position_of(cursor)
    if position is None:
        stream.stop(_foreign())
        return
    # The outbox of the primary, whose feed the live results come from: a replica's may lag.
    db = hub.context(stream.request_id, STAFF, writes=True).db
    stream.missed = False
    remembered = hub.window.after(position)
    if remembered is not None:
        batch = remembered
    else:  # not in memory: the outbox decides
        first = await until_available(partial(feed.resume_after, db, position))
        if first.expired:
            stream.stop(
                plain_error(
                    "events after this cursor are no longer kept; "
                    "fetch the current state and subscribe again without `after`",
                    code=CURSOR_EXPIRED,
                )
            )
            return
        if not first.known:
            stream.stop(_foreign())
            return
        batch = first.batch
    stream.last_cursor = cursor
    while True:
        await _replay(hub, stream, batch.events)
        if stream.ended:
            return
        position = batch.end
        if len(batch.events) < feed.READ_LIMIT and not stream.missed:
            break
        stream.missed = False
        remembered = hub.window.after(position)
        if remembered is not None:
            batch = remembered
        else:
            batch = await until_available(partial(feed.read_after, db, position))
    _go_live(stream, position)


async def _replay(hub: Hub, stream: Stream, events: list[ChangeEvent]) -> None:
    wanted = [e for e in events if stream.interest.wants(e) and sees_event(stream.viewer, e)]
    # Equal subscribers got equal results: run the selection only for events not kept.
    missing = [e for e in wanted if (stream.key, e.position) not in hub.window.results]
    contexts = contexts_at(hub.context, wanted)
    documents = {}
    if missing:
        documents = await until_available(
            lambda: load_documents(contexts("feed", STAFF).loaders, missing)
        )
    for event in wanted:
        await _room(stream)
        if stream.ended:
            return
        cursor = cursor_of(event.position)
        body = hub.window.results.get((stream.key, event.position))
        if body is None:
            row = documents.get((event.table, event.id))
            body = await hub._execute(stream, event, cursor, row, contexts)
            hub.window.remember(stream.key, event.position, body)
        stream.send(cursor, body)
        hub.delivered += not stream.ended


async def _room(stream: Stream) -> None:
    """Waits while the client has a full queue: a replay goes at the client's pace."""
    while stream.pending >= stream.max_pending and not stream.ended:
        stream.room = room = asyncio.Event()
        try:
            async with asyncio.timeout(1):  # `ended` is set without a wake-up
                await room.wait()
        except TimeoutError:
            pass
        finally:
            stream.room = None


def _go_live(stream: Stream, through: Position) -> None:
    """Stops holding: live results after `through` go out, in order, held ones first; those
    at or below it (held, or from a fan-out that chose this stream before) were replayed."""
    held, stream.held = stream.held or [], None
    stream.floor = through
    for cursor, body in held:
        stream.offer(cursor, body)


def _foreign() -> dict[str, Any]:
    return plain_error(
        "`after` is not a cursor of this feed: pass the `cursor` of an event received",
        code="BAD_USER_INPUT",
    )
