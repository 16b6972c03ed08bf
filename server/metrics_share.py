"""One scrape shows the whole server: worker processes share their figures through files.

Each worker writes its snapshot to `<directory>/<pid>.json` once a second (and when it
stops); the worker that answers a scrape adds the others' last snapshots to its own live
figures. A worker that is gone keeps its counters and histograms in the sum (a counter
must not go backwards when a worker is replaced) but not its gauges. `storefront serve`
makes the directory for each run and empties it at the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from engine.auth import TokenVerifier, Unauthenticated
from server.figures import Exposition, Snapshot, merge, registry
from server.metrics import Metrics
from server.settings import MetricsAccess, Settings

log = logging.getLogger("storefront.metrics")

PUBLISH_EVERY_SECONDS = 1.0


class SharedFigures:
    def __init__(self, metrics: Metrics, directory: Path | None) -> None:
        self.metrics = metrics
        self.directory = directory
        self.pid = os.getpid()
        self.registry = registry(Exposition(metrics.families(), self.read))

    def read(self) -> Snapshot:
        """This process's figures now, with the last ones of every other worker."""
        snapshots = [self.metrics.snapshot()]
        for pid, figures in self._others():
            if not _alive(pid):
                figures["gauges"] = {}
            snapshots.append(figures)
        live = sum(1 for s in snapshots if s["gauges"]) or 1
        merged = merge(snapshots)
        merged["gauges"]["storefront_metrics_processes"] = [[[], live]]
        return merged

    def _others(self) -> list[tuple[int, Snapshot]]:
        if self.directory is None:
            return []
        found = []
        for path in self.directory.glob("*.json"):
            if not path.stem.isdigit() or int(path.stem) == self.pid:
                continue
            with contextlib.suppress(OSError, ValueError):  # a worker writing, or gone
                found.append((int(path.stem), json.loads(path.read_bytes())))
        return found

    def publish(self) -> None:
        if self.directory is None:
            return
        path = self.directory / f"{self.pid}.json"
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.metrics.snapshot()))
        partial.replace(path)  # readers see the old snapshot or the new one, never half

    async def keep_publishing(self) -> None:
        while True:
            await asyncio.sleep(PUBLISH_EVERY_SECONDS)
            try:
                self.publish()
            except OSError:  # a full disk must not stop the server; try again next time
                log.warning("could not share this worker's metrics", exc_info=True)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@contextlib.contextmanager
def run_directory(settings: Settings) -> Iterator[Settings]:
    """The settings of a run of `serve`, with the directory its workers share figures in:
    the configured one emptied of an earlier run's files, or a new one removed at the end.
    One process, or no metrics, needs none."""
    if settings.metrics is MetricsAccess.OFF:
        yield settings
    elif settings.metrics_dir is not None:
        prepare(settings.metrics_dir)
        yield settings
    elif settings.workers == 1:
        yield settings
    else:
        made = Path(tempfile.mkdtemp(prefix="storefront-metrics-"))
        try:
            yield settings.model_copy(update={"metrics_dir": made})
        finally:
            shutil.rmtree(made, ignore_errors=True)


def prepare(directory: Path) -> None:
    """The directory of a run, without what an earlier run left in it."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in [*directory.glob("*.json"), *directory.glob("*.tmp")]:
        stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def endpoint(
    shared: SharedFigures, *, tokens: TokenVerifier | None
) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics in the text exposition format; with `tokens`, for staff bearers only.
    It reads figures kept in memory and files: no database round trip."""

    async def metrics(request: Request) -> Response:
        if tokens is not None:
            try:
                viewer = tokens.viewer(request.headers.get("authorization"))
            except Unauthenticated:
                viewer = None
            if viewer is None or not viewer.is_staff:
                status = 401 if viewer is None or viewer.role == "anonymous" else 403
                return Response(
                    "metrics are for staff bearer tokens\n",
                    status,
                    headers={"WWW-Authenticate": "Bearer"},
                    media_type="text/plain",
                )
        return Response(shared.exposition(), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics
