"""Reads from streaming replicas, and the WAL positions that make them safe to use.

A write's position is the primary's WAL insert position read after its commit (the write
position may still lag the commit record under `synchronous_commit = off`). A replica
that has replayed up to a position holds every transaction committed before it.

`Replicas.watch` measures each replica now and then: its replay position against the
primary's positions sampled over time gives how old its data is at most (the time since
the primary last stood at a position the replica has replayed). A replica that does not
answer, is not a standby, or is older than `max_lag` is left out until a later measure
finds it well again.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg

from sql.errors import transient
from sql.observe import ObservedConnection
from sql.pool import Connection, Database

log = logging.getLogger("storefront.replicas")

INSERT_POSITION = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
REPLAY_POSITION = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"


# The insert position as a notice (migration 0006), in the same message as the COMMIT.
COMMIT_NOTING_POSITION = "COMMIT; SELECT storefront_notice_wal_position()"
POSITION_NOTICE = "storefront wal position "


@dataclass(slots=True)
class WritePosition:
    """The WAL position after the last commit of one request's writes (0: none yet)."""

    lsn: int = 0

    async def commit(self, conn: Connection) -> None:
        """Commits the transaction open on `conn` and records the insert position after
        its commit record, in the same round trip. Should the notice not arrive (a role
        whose client_min_messages is above notice, a database without the function), the
        position is read on its own."""
        try:
            notes = await cast(ObservedConnection, conn).execute_noting(COMMIT_NOTING_POSITION)
        except asyncpg.UndefinedFunctionError:  # migration 0006 not applied: the COMMIT ran
            notes = []
        found = [n for n in notes if n.startswith(POSITION_NOTICE)]
        if found:
            lsn = int(found[-1].removeprefix(POSITION_NOTICE))
        else:
            lsn = int(await conn.fetchval(INSERT_POSITION))
        self.lsn = max(self.lsn, lsn)


@dataclass(slots=True)
class Replica:
    name: str
    db: Database
    healthy: bool = False
    replayed: int = 0
    lag_ms: float | None = None


@dataclass(slots=True)
class Replicas:
    primary: Database
    members: list[Replica]
    max_lag_ms: float
    max_wait_ms: float
    every: float = 0.1
    served: collections.Counter[str] = field(default_factory=collections.Counter)
    _samples: collections.deque[tuple[float, int]] = field(default_factory=collections.deque)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    def pick(self) -> Replica | None:
        """A healthy replica, in turn; None when none is."""
        healthy = [r for r in self.members if r.healthy]
        return healthy[next(self._turn) % len(healthy)] if healthy else None

    async def watch(self) -> None:
        """Measures every replica each `every` seconds, until cancelled."""
        while True:
            await self.measure()
            await asyncio.sleep(self.every)

    async def measure(self) -> None:
        try:
            async with asyncio.timeout(1.0):
                primary = int(await self.primary.fetchval(INSERT_POSITION))
        except Exception:  # the primary's own trouble shows in the requests; keep watching
            log.warning("could not read the primary's WAL position", exc_info=True)
            return
        now = time.monotonic()
        self._samples.append((now, primary))
        horizon = now - 2 * self.max_lag_ms / 1000 - 1
        while len(self._samples) > 1 and self._samples[0][0] < horizon:
            self._samples.popleft()
        await asyncio.gather(*(self._measure(r) for r in self.members))

    async def _measure(self, replica: Replica) -> None:
        try:
            async with asyncio.timeout(1.0):
                replayed = await replica.db.fetchval(REPLAY_POSITION)
        except Exception as error:
            self._set(replica, healthy=False, why=f"does not answer ({type(error).__name__})")
            return
        if replayed is None:
            self._set(replica, healthy=False, why="is not a standby")
            return
        replica.replayed = max(replica.replayed, int(replayed))
        replica.lag_ms = self._lag_ms(replica.replayed)
        if replica.lag_ms is None or replica.lag_ms > self.max_lag_ms:
            self._set(replica, healthy=False, why=f"lags {replica.lag_ms or 'too much'} ms")
        else:
            self._set(replica, healthy=True, why="")

    def _lag_ms(self, replayed: int) -> float | None:
        """How old the replica's data is at most: since the primary last stood at a position
        the replica has replayed. None: longer than the samples reach back."""
        for at, position in reversed(self._samples):
            if position <= replayed:
                return (time.monotonic() - at) * 1000
        return None

    def _set(self, replica: Replica, *, healthy: bool, why: str) -> None:
        if replica.healthy and not healthy:
            log.warning("replica %s left out: it %s", replica.name, why)
        elif healthy and not replica.healthy:
            log.info("replica %s in use (lag %.0f ms)", replica.name, replica.lag_ms or 0)
        replica.healthy = healthy

    async def replayed(self, replica: Replica, lsn: int) -> bool:
        """Whether `replica` has replayed `lsn`, asking it when the last measure says not."""
        if replica.replayed >= lsn:
            return True
        replayed = await replica.db.fetchval(REPLAY_POSITION)
        replica.replayed = max(replica.replayed, int(replayed or 0))
        return replica.replayed >= lsn


# A failure of a replica that the primary would not have: it is gone or going, or a
# conflict with recovery cancelled the statement (40001).
_REPLICA_FAULTS = (asyncpg.SerializationError,)


class ReplicaReads(Database):
    """One request's reads: from one replica chosen at its first statement (the same one
    for all its statements, so its data never goes back in time), or from the primary.

    With `after` (a write's position), only a replica that has replayed it is chosen,
    waiting up to `max_wait_ms` for one; otherwise the primary. A statement the replica
    fails for the replica's sake runs again on the primary, which then serves the rest.
    Only reads come here: a request that writes uses the primary itself."""

    def __init__(self, replicas: Replicas, *, after: int = 0) -> None:
        primary = replicas.primary
        super().__init__(
            primary.pool,
            acquire_timeout=primary.acquire_timeout,
            begin=primary.begin,
            opening=primary.opening,
            statement_timeout=primary.statement_timeout,
        )
        self._turns = primary._turns  # transactions, should any run here, use the primary
        self._replicas = replicas
        self._after = after
        self._chosen: Replica | None = None
        self._decided = False

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        if not self._decided:
            self._chosen = await self._choose()
            self._decided = True
        replica = self._chosen
        primary = self._replicas.primary
        if replica is not None:
            try:
                result = await getattr(replica.db, method)(query, *args)
            except Exception as error:
                if transient(error) != "unavailable" and not isinstance(error, _REPLICA_FAULTS):
                    raise
                log.warning("replica %s failed a read (%s)", replica.name, type(error).__name__)
                replica.healthy = False
                self._chosen = None
            else:
                self._replicas.served[replica.name] += 1
                return result
        self._replicas.served["primary"] += 1
        return await getattr(primary, method)(query, *args)

    async def _choose(self) -> Replica | None:
        replicas = self._replicas
        if not self._after:
            return replicas.pick()
        deadline = time.monotonic() + replicas.max_wait_ms / 1000
        while True:
            replica = replicas.pick()
            if replica is None:
                return None
            try:
                if await replicas.replayed(replica, self._after):
                    return replica
            except Exception:  # a replica that cannot say is no replica for this read
                replica.healthy = False
                continue
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(min(0.005, max(0.0, deadline - time.monotonic())))
