"""The window of recent events answers a resume only when it holds every event after the
cursor; anything else goes to the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from gql.feed_window import FeedWindow
from sql.feed import ChangeEvent, Position


def event(xid: int, seq: int) -> ChangeEvent:
    return ChangeEvent(xid, seq, "UPDATED", "products", uuid4(), 1, None, datetime.now(UTC), ())


def positions(window: FeedWindow, after: Position) -> list[Position] | None:
    batch = window.after(after)
    return None if batch is None else [e.position for e in batch.events]


def test_nothing_is_answered_before_the_follower_starts() -> None:
    window = FeedWindow()
    window.keep([event(5, 1)])
    assert window.after(Position(5, 1)) is None


def test_events_after_an_event_of_the_window_or_its_floor() -> None:
    window = FeedWindow()
    window.start(Position(4, 9))
    window.keep([event(5, 1), event(5, 2)])
    window.keep([event(7, 3)])
    assert positions(window, Position(4, 9)) == [Position(5, 1), Position(5, 2), Position(7, 3)]
    assert positions(window, Position(5, 2)) == [Position(7, 3)]
    batch = window.after(Position(7, 3))
    assert batch is not None
    assert (batch.events, batch.end) == ([], Position(7, 3))


def test_positions_it_cannot_vouch_for_go_to_the_outbox() -> None:
    window = FeedWindow()
    window.start(Position(4, 9))
    window.keep([event(5, 1), event(7, 3)])
    assert window.after(Position(4, 1)) is None  # older than the window
    assert window.after(Position(6, 1)) is None  # inside, but not an event
    assert window.after(Position(9, 1)) is None  # newer than this process has read


def test_events_handed_on_again_are_kept_once() -> None:
    window = FeedWindow()
    window.start(Position(1, 0))
    window.keep([event(2, 1), event(2, 2)])
    window.keep([event(2, 1), event(2, 2), event(3, 1)])
    assert positions(window, Position(1, 0)) == [Position(2, 1), Position(2, 2), Position(3, 1)]


def test_old_events_leave_and_the_floor_follows() -> None:
    window = FeedWindow(size=3)
    window.start(Position(0, 0))
    window.keep([event(n, 1) for n in range(1, 8)])  # more than twice the size
    assert window.floor == Position(4, 1)
    assert window.after(Position(2, 1)) is None
    assert positions(window, Position(4, 1)) == [Position(n, 1) for n in range(5, 8)]


def test_results_are_kept_up_to_a_bound() -> None:
    window = FeedWindow()
    for n in range(5000):
        window.remember(("q",), Position(n, 1), b"{}")
    assert len(window.results) == 4096
    assert (("q",), Position(0, 1)) not in window.results
    assert window.results[(("q",), Position(4999, 1))] == b"{}"
