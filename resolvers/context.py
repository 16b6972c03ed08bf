"""What every use-case receives: the database, this request's loaders, and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from loaders.loaders import Loaders
from sql.pool import Database


@dataclass(frozen=True, slots=True)
class PageLimits:
    default: int
    maximum: int


@dataclass(slots=True)
class RequestContext:
    db: Database
    page_limits: PageLimits
    request_id: str
    idempotency_ttl_seconds: float = 24 * 3600
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)
