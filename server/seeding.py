"""`storefront seed`: load generated data, with a progress bar per table on stderr."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from sql import seed as sql_seed
from sql.pool import connect


def run_seed(
    url: str,
    *,
    customers: int,
    categories: int,
    products: int,
    orders: int,
    seed: int,
    truncate: bool = False,
) -> int:
    """Seeds the database at `url`; the exit code (1 when it already holds documents).

    Progress, rates and messages go to stderr, which is what a terminal shows while stdout
    may be piped elsewhere.
    """
    try:
        scale = sql_seed.Scale(
            customers=customers, categories=categories, products=products, orders=orders
        )
    except ValueError as invalid:
        print(f"storefront seed: {invalid}", file=sys.stderr)
        return 2
    bars = ProgressBars(sys.stderr)
    started = time.perf_counter()
    try:
        counts = asyncio.run(_load(url, scale=scale, seed=seed, truncate=truncate, bars=bars))
    except sql_seed.NotEmpty as refused:
        print(f"storefront seed: {refused}; pass --truncate to replace them", file=sys.stderr)
        return 1
    finally:
        bars.abandon()
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    print(
        f"{'total':<12} {total:>9,} rows in {elapsed:5.2f} s ({total / elapsed:,.0f} rows/s)",
        file=sys.stderr,
    )
    return 0


async def _load(
    url: str, *, scale: sql_seed.Scale, seed: int, truncate: bool, bars: ProgressBars
) -> dict[str, int]:
    async with connect(url) as conn:
        return await sql_seed.load(
            conn, scale=scale, seed=seed, truncate=truncate, progress=bars.update
        )


class ProgressBars:
    """One bar per table, redrawn in place on a terminal.

    When the stream is not a terminal (a log file, CI), carriage returns would pile up, so
    each table gets a single line when it finishes instead.
    """

    WIDTH = 30
    REDRAW_EVERY = 0.1  # seconds: a faster bar costs time and nobody can read it

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.table = ""
        self.started = 0.0
        self.drawn = 0.0

    def update(self, table: str, done: int, total: int) -> None:
        """The `sql.seed.Progress` callback: the first call for a table starts its clock."""
        now = time.perf_counter()
        starting = table != self.table
        if starting:
            self.table, self.started, self.drawn = table, now, 0.0
        if done >= total and not starting:
            self._write(self._summary(done, now - self.started), end="\n")
            self.table = ""
        elif self.live and now - self.drawn >= self.REDRAW_EVERY:
            self.drawn = now
            self._write(self._bar(done, total, now - self.started), end="")

    def abandon(self) -> None:
        """Ends an unfinished bar's line, if any, so what follows starts on its own line."""
        if self.live and self.table and self.drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _bar(self, done: int, total: int, elapsed: float) -> str:
        filled = self.WIDTH * done // total
        rate = done / elapsed if elapsed > 0 else 0.0
        return (
            f"{self.table:<12} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{100 * done // total:3d}% {done:,}/{total:,} rows {rate:,.0f} rows/s"
        )

    def _summary(self, done: int, elapsed: float) -> str:
        rate = f"{done / elapsed:,.0f} rows/s" if elapsed > 0 else "-"
        return f"{self.table:<12} {done:>9,} rows in {elapsed:5.2f} s ({rate})"

    def _write(self, text: str, *, end: str) -> None:
        # On a terminal, return to the line's start and clear it: the summary is shorter.
        prefix = "\r\x1b[K" if self.live else ""
        self.stream.write(prefix + text + end)
        self.stream.flush()
