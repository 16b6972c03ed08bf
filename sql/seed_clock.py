"""The generated store's clock and ids: every time is a whole second after START, every id
and choice comes from a seeded generator, so the same seed gives the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random
from uuid import UUID

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
"""The generated store's "now": every timestamp lies in the two years before it."""

DAY = 86_400
SPAN = 730 * DAY
START = BASE_TIME - timedelta(seconds=SPAN)
# Times are whole seconds after START. The catalogue opens in the first weeks, before any
# customer exists, so every order finds products that were already on sale when it was placed.
LAUNCH_FROM, LAUNCH_TO = 7 * DAY, 37 * DAY


def rng(seed: int, stream: str) -> Random:
    """One generator per stream, so changing how one table is made leaves the others alone.
    Seeding with a string hashes it with SHA-512: stable across runs and PYTHONHASHSEED."""
    return Random(f"{seed}/{stream}")  # noqa: S311 - reproducible on purpose, not secret


def new_uuid(rng: Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def at(second: int) -> datetime:
    return START + timedelta(seconds=second)


def at_or_none(second: int | None) -> datetime | None:
    return None if second is None else at(second)


def later(rng: Random, after: int) -> int:
    """A uniformly random second between `after` and the base time."""
    return after + int(rng.random() * (SPAN - after))
