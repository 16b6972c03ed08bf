"""The latest events this process read from the feed, and the latest results it sent, so
that most resumes replay from memory instead of the outbox and their selections.

The follower hands on every event after the position it started from, in order, across
reconnects; kept from that position on, the window is the feed itself between `floor` and
its newest event. A cursor inside the window is answered from it; any other (older, newer
than this process has read, or not an event) goes to the outbox, which decides. Results
are kept by (stream key, position): subscribers with equal keys got byte-equal answers.
"""

from __future__ import annotations

import bisect
from typing import Any

from sql.feed import Batch, ChangeEvent, Position

WINDOW_EVENTS = 4096
RECENT_RESULTS = 4096


class FeedWindow:
    def __init__(self, size: int = WINDOW_EVENTS) -> None:
        self.size = size
        self.floor: Position | None = None  # every event after it was kept; None: not yet
        self._events: list[ChangeEvent] = []
        self._positions: list[Position] = []
        self.results: dict[tuple[tuple[Any, ...], Position], bytes] = {}

    def remember(self, key: tuple[Any, ...], position: Position, body: bytes) -> None:
        self.results[(key, position)] = body
        if len(self.results) > RECENT_RESULTS:
            del self.results[next(iter(self.results))]  # the oldest

    def start(self, position: Position) -> None:
        """The follower begins after `position`: keep what it hands on from now."""
        if self.floor is None:
            self.floor = position

    def keep(self, events: list[ChangeEvent]) -> None:
        if self.floor is None:
            return
        newest = self._positions[-1] if self._positions else self.floor
        if events and events[0].position <= newest:  # handed on again: keep each once
            events = [event for event in events if event.position > newest]
        self._events += events
        self._positions += (event.position for event in events)
        if len(self._events) > 2 * self.size:  # trimmed in chunks: cheap on average
            cut = len(self._events) - self.size
            self.floor = self._positions[cut - 1]
            del self._events[:cut], self._positions[:cut]

    def after(self, position: Position) -> Batch | None:
        """Every event after `position`, when the window holds them all and `position` is
        an event of it (or its floor); None when only the outbox can tell."""
        if self.floor is None or position < self.floor:
            return None
        if position != self.floor:
            at = bisect.bisect_left(self._positions, position)
            if at == len(self._positions) or self._positions[at] != position:
                return None
            start = at + 1
        else:
            start = 0
        events = self._events[start:]
        return Batch(events, False, events[-1].position if events else position)
