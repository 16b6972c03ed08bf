"""Reading and pruning the change feed (the `change_events` outbox the triggers of
migration 0003 fill in each writer's transaction).

A position is (xid, seq). `read_after` reads only events of transactions below the oldest
one still in flight, so a transaction that commits later always lands above every position
already read: a reader that moves past a position never misses an event behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from asyncpg import Record

from sql.pool import Connection, Executor
from sql.rows import row_class

CHANNEL = "storefront_changes"
"""The channel every writing transaction notifies (once, at commit)."""

READ_LIMIT = 1000
"""Events one read returns at most; a full read is followed by another at once."""

PRUNE_LOCK_KEY = 0x5F_66_65_65_64_5F_70_72  # "_feed_pr": one pruner at a time


class Position(NamedTuple):
    """Where a reader stands: every event at or below it has been read."""

    xid: int
    seq: int


@row_class
class ChangeEvent:
    xid: int
    seq: int
    kind: str  # CREATED, UPDATED, DELETED or RESTORED
    table: str
    id: UUID
    rev: int
    owner_id: UUID | None
    at: datetime
    fields: tuple[str, ...]
    # The primary's WAL insert position when the event was read, at or after its commit: a
    # replica that has replayed it holds the event's document at least as new as the event.
    read_at: int = field(compare=False)

    @property
    def position(self) -> Position:
        return Position(self.xid, self.seq)


@dataclass(frozen=True, slots=True)
class Batch:
    events: list[ChangeEvent]
    waiting: bool  # committed events wait above the horizon: read again shortly
    end: Position  # where the reader stands after this batch


# One statement: the horizon, whether committed events wait above it, the events between the
# reader's position and the horizon (a row of NULLs when there are none), and the WAL insert
# position, read after the statement's snapshot and so after the commit record of every
# event it returns (an event's own insert position comes before its commit's); on a standby,
# which has no insert position, its replay position, likewise past every commit it shows.
# `{extra}` adds columns read in the same snapshot (see RESUME).
_READ = """
WITH horizon AS (
    SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin,
           (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                 ELSE pg_current_wal_insert_lsn() END - '0/0'::pg_lsn)::bigint AS read_at
)
SELECT e.xid::text::bigint AS xid, e.seq, e.kind, e.table_name, e.id, e.rev, e.owner_id,
       e.at, e.fields,
       EXISTS (SELECT FROM change_events w WHERE w.xid >= h.xmin) AS waiting,
       h.read_at{extra}
FROM horizon h
LEFT JOIN LATERAL (
    SELECT * FROM change_events c
    WHERE c.xid < h.xmin AND (c.xid, c.seq) > ($1::text::xid8, $2::bigint)
    ORDER BY c.xid, c.seq
    LIMIT $3
) e ON true
ORDER BY e.xid, e.seq
"""
READ_AFTER = _READ.format(extra="")

# The first read of a resumed reader: in the same snapshot as the events, whether the event
# at the position exists and whether pruning removed any event after it. One snapshot, so a
# prune that runs meanwhile cannot slip between the check and the read.
RESUME = _READ.format(
    extra=""",
       EXISTS (SELECT FROM change_events k
               WHERE k.xid = $1::text::xid8 AND k.seq = $2::bigint) AS known,
       (SELECT p.xid::text::bigint FROM change_events_pruned p) AS pruned_xid,
       (SELECT p.seq FROM change_events_pruned p) AS pruned_seq"""
)

# Events still in flight may sit at or above the horizon: start just below it.
START = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

PRUNE = """
WITH locked AS (SELECT pg_try_advisory_xact_lock($3) AS mine),
gone AS (
    DELETE FROM change_events
    WHERE (xid, seq) IN (
        SELECT xid, seq FROM change_events, locked
        WHERE locked.mine AND at < now() - make_interval(secs => $1)
        ORDER BY xid, seq
        LIMIT $2
    )
    RETURNING xid, seq
),
last AS (SELECT xid, seq FROM gone ORDER BY xid DESC, seq DESC LIMIT 1),
noted AS (
    INSERT INTO change_events_pruned (xid, seq) SELECT xid, seq FROM last
    ON CONFLICT (only_row) DO UPDATE SET xid = excluded.xid, seq = excluded.seq
    -- Write times (`at`) do not follow positions exactly: keep the highest ever pruned.
    WHERE (excluded.xid, excluded.seq) > (change_events_pruned.xid, change_events_pruned.seq)
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone) AS pruned, (SELECT count(*) FROM noted)
"""

PRUNED_THROUGH = "SELECT xid::text::bigint, seq FROM change_events_pruned"


START_SEQ = 2**63 - 1
"""The sequence of a start position: it names no event, only where a new reader begins."""


async def start_position(executor: Executor) -> Position:
    """A position from which a new reader sees every event not yet committed (and perhaps
    some that committed just before: those of transactions above the oldest in flight)."""
    xmin: int = await executor.fetchval(START)
    return Position(xmin - 1, START_SEQ)


async def read_after(executor: Executor, position: Position, *, limit: int = READ_LIMIT) -> Batch:
    """Up to `limit` events after `position` whose transactions have all ended, in order."""
    records = await executor.fetch(READ_AFTER, str(position.xid), position.seq, limit)
    return _batch(records, position, limit)


def _batch(records: list[Record], position: Position, limit: int) -> Batch:
    events = [
        ChangeEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], tuple(r[8]), r[10])
        for r in records
        if r[0] is not None
    ]
    waiting = bool(records[0][9]) or len(events) == limit
    return Batch(events, waiting, events[-1].position if events else position)


class Resumed(NamedTuple):
    """The first read after a position a client gave back."""

    batch: Batch
    known: bool  # the position is an event of this feed
    expired: bool  # pruning removed events after it: some of what followed is gone


async def resume_after(
    executor: Executor, position: Position, *, limit: int = READ_LIMIT
) -> Resumed:
    """`read_after` for a position a client holds, with whether it can be resumed from."""
    records = await executor.fetch(RESUME, str(position.xid), position.seq, limit)
    batch = _batch(records, position, limit)
    known, pruned_xid, pruned_seq = records[0][11], records[0][12], records[0][13]
    through = None if pruned_xid is None else Position(pruned_xid, pruned_seq)
    expired = through is not None and position < through
    start = position.seq == START_SEQ  # handed out as a start: resumable like an event
    return Resumed(batch, bool(known) or start or position == through, expired)


async def prune(executor: Executor, *, older_than_seconds: float, batch: int = 5000) -> int:
    """Deletes up to `batch` events older than the window; 0 while another process prunes
    (the lock is a transaction's: nothing to release, no session state)."""
    record = await executor.fetchrow(PRUNE, older_than_seconds, batch, PRUNE_LOCK_KEY)
    assert record is not None
    return int(record[0])


async def pruned_through(executor: Executor) -> Position | None:
    """The last position pruning removed: cursors at or below it cannot be resumed."""
    record = await executor.fetchrow(PRUNED_THROUGH)
    return None if record is None else Position(record[0], record[1])


async def notify(conn: Connection) -> None:
    """Wakes every listener as a write would (tests, tools)."""
    await conn.execute(f"NOTIFY {CHANNEL}")
