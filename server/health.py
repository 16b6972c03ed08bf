"""The health probes: /healthz (the process answers) and /readyz (it can serve: the database
answers, its migrations are current, and no stop is under way)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.shutdown import Shutdown
from sql import migrate
from sql.pool import Database, ping

log = logging.getLogger("storefront.app")


def health_routes(
    database: Callable[[], Database], shutdown: Shutdown, *, acquire_timeout: float
) -> list[Route]:
    """The two probes over the pool `database()` gives once the app has started."""

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    migrations = migrate.load_migrations()  # read and hashed once, not on every probe

    async def readyz(_request: Request) -> JSONResponse:
        if shutdown.stopping:  # from the stop signal on, while requests still drain
            return JSONResponse({"status": "unavailable", "shutdown": "in progress"}, 503)
        try:
            # A database that accepts connections but never answers must not hang the probe.
            async with asyncio.timeout(2 * acquire_timeout), database().acquire() as conn:
                await ping(conn)
                current = await migrate.status(conn, migrations=migrations)
        except Exception as error:  # any failure here means "not ready", whatever it was
            log.warning("not ready: %s", type(error).__name__)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        if current.pending:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "database": "ok",
                    "migrations": "pending",
                    "pending": [m.filename for m in current.pending],
                },
                status_code=503,
            )
        return JSONResponse({"status": "ready", "database": "ok", "migrations": "current"})

    return [Route("/healthz", healthz), Route("/readyz", readyz)]
