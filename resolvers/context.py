"""What every use-case receives: the database, this request's loaders, and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from loaders.loaders import Loaders
from resolvers.viewer import ANONYMOUS, Viewer
from sql.pool import Database
from sql.replicas import WritePosition


@dataclass(frozen=True, slots=True)
class PageLimits:
    default: int
    maximum: int


@dataclass(slots=True)
class RequestContext:
    db: Database
    page_limits: PageLimits
    request_id: str
    viewer: Viewer = ANONYMOUS
    idempotency_ttl_seconds: float = 24 * 3600
    loaders: Loaders = field(init=False)
    # Where this request's last committed write left the WAL (for `readAfter`).
    written: WritePosition = field(init=False, default_factory=WritePosition)

    def __post_init__(self) -> None:
        # Loaders read with this viewer's scope; they live and die with the request.
        self.loaders = Loaders(self.db, owner=self.viewer.owner)
