"""What every use-case receives: the database, this request's loaders, and its limits."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from loaders.loaders import Loaders
from resolvers.viewer import ANONYMOUS, Viewer
from sql.pool import Database, Executor
from sql.read_once import ReadOnce
from sql.replicas import WritePosition

T = TypeVar("T")

MAX_DERIVED = 256
"""Values a request keeps by `RequestContext.derive` (a bound on its memory: a subscription's
context lives as long as it does)."""


@dataclass(frozen=True, slots=True)
class PageLimits:
    default: int
    maximum: int


@dataclass(frozen=True, slots=True)
class UnitOfWork:
    """What a write needs and no more: the database, who writes, this request's loaders
    (primed with what it wrote, their derived values forgotten), where its writes left the
    WAL, and how long its idempotency keys last. The transaction belongs to the use-case."""

    db: Database
    viewer: Viewer
    loaders: Loaders
    written: WritePosition
    idempotency_ttl_seconds: float


@dataclass(slots=True)
class RequestContext:
    db: Database
    page_limits: PageLimits
    request_id: str
    viewer: Viewer = ANONYMOUS
    idempotency_ttl_seconds: float = 24 * 3600
    reads: Executor = field(init=False)  # what reads go through: `db`, or `read_once`'s
    _loaders: Loaders | None = field(init=False, default=None, repr=False)
    # Where this request's last committed write left the WAL (for `readAfter`).
    written: WritePosition = field(init=False, default_factory=WritePosition)
    _derived: dict[Hashable, tuple[object, Any]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.reads = self.db

    @property
    def loaders(self) -> Loaders:
        """This request's loaders, made when first asked for (a query served from a
        compiled plan reads once, `read_once`, before any): they read through `reads`
        with this viewer's scope, and live and die with the request."""
        loaders = self._loaders
        if loaders is None:
            loaders = self._loaders = Loaders(self.reads, owner=self.viewer.owner)
        return loaders

    def derive(self, key: Hashable, kept: object, make: Callable[[], T]) -> T:
        """`make()` once per request for `key`, so aliases that pass equal arguments share
        what is derived from them (a converted filter, a page plan). `kept` lives as long
        as what was made: a key may hold its id. Up to `MAX_DERIVED` are kept."""
        found = self._derived.get(key)
        if found is not None:
            return found[1]  # type: ignore[no-any-return]
        made = make()
        if len(self._derived) < MAX_DERIVED:
            self._derived[key] = (kept, made)
        return made

    def read_once(self) -> None:
        """From here on every read of this request runs once (`sql.read_once`): for a query
        that may be executed twice, compiled and then by graphql-core."""
        self.reads = ReadOnce(self.db)
        self._loaders = None  # any made so far read otherwise: new ones from here on

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(
            self.db, self.viewer, self.loaders, self.written, self.idempotency_ttl_seconds
        )
