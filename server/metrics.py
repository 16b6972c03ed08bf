"""The server's Prometheus series: what each GraphQL request did, the pool, admission.

Requests are counted by operation type, operation name and outcome, and timed by type and
name. Names are labels only from a bounded set (`OperationNames`). Everything is recorded
once, when a response is done, from the request's `Observation`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.observe import Observation
from server.figures import Counter, Family, Gauge, Histogram, Snapshot, snapshot

if TYPE_CHECKING:
    from engine.admission import Admission
    from gql.subscriptions import Hub
    from sql.pool import Database

SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SHORT_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0)
STATEMENTS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89)

ANONYMOUS = "anonymous"
OTHER = "other"
UNKNOWN = "unknown"
PROMOTE_AFTER = 10
"""Requests a name needs before it gets series of its own (a one-off name never does)."""


class OperationNames:
    """The label for an operation name. The manifest's names (persisted operations) always
    stand for themselves; of the others, the first `limit` to reach `PROMOTE_AFTER`
    requests in this process do; every other name is `other`. Candidates are counted in
    a table of at most `16 * limit` names, emptied when full, so a stream of invented
    names costs bounded memory and never a series."""

    def __init__(self, *, limit: int, known: Iterable[str] = ()) -> None:
        self.limit = limit
        self.known = frozenset(known)
        self.admitted: set[str] = set()
        self._candidates: dict[str, int] = {}

    def label(self, name: str | None) -> str:
        if name is None:
            return ANONYMOUS
        if name in self.known or name in self.admitted:
            return name
        if len(self.admitted) >= self.limit:
            return OTHER
        seen = self._candidates.get(name, 0) + 1
        if seen >= PROMOTE_AFTER:
            self.admitted.add(name)
            self._candidates.pop(name, None)
            return name
        if len(self._candidates) >= 16 * self.limit:
            self._candidates.clear()
        self._candidates[name] = seen
        return OTHER


class Metrics:
    """The series of one process; `snapshot` adds the pool's and admission's figures of
    the moment. `database` and `admission` are set once the app has them."""

    def __init__(self, names: OperationNames) -> None:
        self.names = names
        self.database: Database | None = None
        self.admission: Admission | None = None
        self.requests = Counter(
            "storefront_graphql_requests",
            "GraphQL requests by operation and outcome: ok, a mutation's error code (a union "
            "error, which is data), the code of the first top-level error, or "
            "CLIENT_DISCONNECTED when the client left before its answer",
            ("operation_type", "operation_name", "outcome"),
        )
        self.duration = Histogram(
            "storefront_graphql_request_duration_seconds",
            "Time from the request's arrival to its response, by operation",
            ("operation_type", "operation_name"),
            buckets=SECONDS,
        )
        self.phases = Histogram(
            "storefront_graphql_phase_duration_seconds",
            "Time in each phase of a request (parse and validate only when the document "
            "was not cached); engine: compiled or graphql-core, for execute and serialise",
            ("phase", "engine"),
            buckets=SHORT_SECONDS,
        )
        self.statements = Histogram(
            "storefront_db_statements_per_request",
            "SQL statements one GraphQL request ran",
            ("operation_type",),
            buckets=STATEMENTS,
        )
        self.statement_duration = Histogram(
            "storefront_db_statement_duration_seconds",
            "Time of one SQL statement, as the server saw it",
            buckets=SHORT_SECONDS,
        )
        self.statement_errors = Counter(
            "storefront_db_statement_errors",
            "SQL statements that failed, by the driver's error class",
            ("error",),
        )
        self.waits = Histogram(
            "storefront_db_pool_acquire_wait_seconds",
            "Time a request waited for a pooled connection (waits only: see "
            "storefront_db_pool_acquisitions_total for all uses)",
            buckets=SHORT_SECONDS,
        )
        self.feed_lag = Histogram(
            "storefront_feed_lag_seconds",
            "Time from a change's write to its fan-out to the subscribers that see it",
            buckets=SHORT_SECONDS,
        )
        self.hub: Hub | None = None  # the subscriptions, once the app has them
        self.kept: tuple[Counter | Histogram, ...] = (
            self.requests,
            self.duration,
            self.phases,
            self.statements,
            self.statement_duration,
            self.statement_errors,
            self.waits,
            self.feed_lag,
        )

    def follow(self, hub: Hub) -> None:
        """Counts the change feed's subscribers, deliveries and lag."""
        self.hub = hub
        hub.on_lag = lambda seconds: self.feed_lag.observe((), seconds)

    def record(self, observation: Observation, seconds: float) -> None:
        """Runs once per request: every label tuple and lookup here is paid on each."""
        kind = observation.operation_type
        if kind is None:
            name = kind = UNKNOWN
        else:
            name = self.names.label(observation.operation_name)
        self.requests.inc((kind, name, observation.outcome or UNKNOWN))
        self.duration.observe((kind, name), seconds)
        observe_phase = self.phases.observe
        engine = observation.engine or ""
        for phase, started, ended in observation.phases:
            observe_phase((phase, engine if phase in _BY_ENGINE else ""), (ended - started) / 1e9)
        statements = observation.statements
        self.statements.observe((kind,), len(statements))
        observe_statement = self.statement_duration.observe
        for statement in statements:
            observe_statement((), (statement.ended - statement.started) / 1e9)
            if statement.error is not None:
                self.statement_errors.inc((type(statement.error).__name__,))
        if observation.waits is not None:
            for wait in observation.waits:
                self.waits.observe((), wait)

    def snapshot(self) -> Snapshot:
        return snapshot(self.kept, gauges=self._gauges(), totals=self._totals())

    def _gauges(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        if (db := self.database) is not None:
            size, idle = db.pool.get_size(), db.pool.get_idle_size()
            out += [
                ("storefront_db_pool_connections", size),
                ("storefront_db_pool_connections_in_use", size - idle),
                ("storefront_db_pool_connections_max", db.pool.get_max_size()),
                ("storefront_db_pool_waiting", db.waiting),
            ]
        if (admission := self.admission) is not None:
            out.append(("storefront_admission_running", admission.running))
        if (hub := self.hub) is not None:
            out.append(("storefront_feed_subscribers", len(hub.streams)))
        return out

    def _totals(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        if (db := self.database) is not None:
            out.append(("storefront_db_pool_acquisitions", db.acquisitions))
        if (admission := self.admission) is not None:
            out += [
                ("storefront_admission_refused", admission.refused),
                ("storefront_admission_timeouts", admission.timed_out),
            ]
        if (hub := self.hub) is not None:
            out += [
                ("storefront_feed_events_delivered", hub.delivered),
                ("storefront_feed_subscribers_stopped", hub.stopped),
            ]
        return out

    def families(self) -> list[Family]:
        """Every family the exposition lists, in order."""
        return [*self.kept, *_READ]


_BY_ENGINE = frozenset({"execute", "serialise"})

_READ: tuple[Family, ...] = (
    Gauge("storefront_db_pool_connections", "Open connections in the pools"),
    Gauge("storefront_db_pool_connections_in_use", "Connections lent out now"),
    Gauge("storefront_db_pool_connections_max", "Connections the pools may open"),
    Gauge("storefront_db_pool_waiting", "Uses waiting in line for a connection now"),
    Counter("storefront_db_pool_acquisitions", "Connections taken from the pools"),
    Gauge("storefront_admission_running", "GraphQL executions running now"),
    Counter("storefront_admission_refused", "Requests refused with 503: every slot was taken"),
    Counter("storefront_admission_timeouts", "Executions stopped at the request timeout"),
    Gauge("storefront_feed_subscribers", "Subscriptions open now"),
    Counter("storefront_feed_events_delivered", "Change events handed to subscribers"),
    Counter(
        "storefront_feed_subscribers_stopped",
        "Subscriptions stopped with SUBSCRIBER_TOO_SLOW: their queue was full",
    ),
    Gauge("storefront_metrics_processes", "Server processes whose figures this scrape holds"),
)
