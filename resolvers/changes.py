"""Who may see which change event, the documents events point at, and feed cursors.

A viewer sees an event exactly when a query could show them its document: catalogue events
everyone; a customer record and its orders their owner (and staff). A soft-deleted document
stays visible as an event (its kind says what happened) but only staff see its node.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from loaders.batching import load_all
from loaders.loaders import ByIdLoader, Loaders
from resolvers.viewer import Viewer
from sql.errors import transient
from sql.feed import ChangeEvent, Position
from sql.spec import SPECS

log = logging.getLogger("storefront.feed")

T = TypeVar("T")

RETRY_FIRST, RETRY_MOST = 0.1, 2.0
"""Seconds between attempts while the database is away: doubling from the first to the most."""


def owned(table: str) -> bool:
    """Whether a table's rows belong to a customer (the event's `owner_id`) and are seen
    by their owner and staff only."""
    return SPECS[table].owner is not None


CURSOR_VERSION = "v1"


def sees_event(viewer: Viewer, event: ChangeEvent) -> bool:
    """Whether the viewer may learn that this event happened at all."""
    if not owned(event.table) or viewer.is_staff:
        return True
    return viewer.role == "customer" and event.owner_id == viewer.customer_id


def sees_row(viewer: Viewer, row: Any) -> bool:
    """Whether the viewer may see the document as it is now (the event is visible)."""
    return row is not None and (viewer.is_staff or row.deleted_at is None)


async def load_documents(
    loaders: Loaders, events: Sequence[ChangeEvent]
) -> dict[tuple[str, UUID], Any]:
    """Each event's document as it is now, read once whatever the number of subscribers:
    one statement per table present. `loaders` are unscoped (staff's): visibility is
    decided per viewer afterwards."""
    by_table: dict[str, list[UUID]] = defaultdict(list)
    for event in events:
        by_table[event.table].append(event.id)
    found: dict[tuple[str, UUID], Any] = {}
    for table, ids in by_table.items():
        rows = await load_all(loader_for(loaders, table), list(dict.fromkeys(ids)))
        found.update(((table, row.id), row) for row in rows if row is not None)
    return found


def loader_for(loaders: Loaders, table: str) -> ByIdLoader[Any]:
    """The by-id loader of a table's rows."""
    return loaders.by_id(SPECS[table])


def cursor_of(position: Position) -> str:
    """An opaque, versioned cursor for a position in the feed."""
    raw = f"{CURSOR_VERSION}:{position.xid}:{position.seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def position_of(cursor: str) -> Position | None:
    """The position a cursor of ours names; None for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        version, xid, seq = base64.urlsafe_b64decode(padded).decode().split(":")
        if version != CURSOR_VERSION:
            return None
        position = Position(int(xid), int(seq))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return position if position.xid >= 0 and position.seq >= 0 else None


async def until_available(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, again and again while the database is unavailable: the feed's events wait
    out an outage instead of being lost. Any other failure is raised at once."""
    pause = RETRY_FIRST
    while True:
        try:
            return await attempt()
        except Exception as error:
            if transient(error) != "unavailable":
                raise
        log.warning("feed: the database is unavailable; trying again in %.1fs", pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, RETRY_MOST)
