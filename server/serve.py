"""`storefront serve`: migrations, the demo catalogue, then uvicorn with its workers."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from server import metrics_share, workers
from server.database import apply_migrations, database_url, direct_database_url
from server.dev_tokens import log_dev_tokens
from server.settings import Settings

log = logging.getLogger("storefront")


def serve(settings: Settings) -> int:
    """Migrate, seed the demo if asked, and serve until stopped; the exit status."""
    if (problem := _persisted_problem(settings)) is not None:
        print(f"storefront: {problem}", file=sys.stderr)
        return 2
    with database_url(settings) as url, metrics_share.run_directory(settings) as settings:
        direct = direct_database_url(settings, url)
        applied = asyncio.run(apply_migrations(direct))
        if applied:
            log.info("applied migrations: %s", ", ".join(m.filename for m in applied))
        if settings.seed_demo and asyncio.run(_seed_demo(direct)):
            log.info("loaded the demo catalogue into the empty database")
        # Workers are separate processes: they read their settings from the environment.
        os.environ.update(_environment(settings, url))
        log.info("serving GraphQL on http://%s:%d/graphql", settings.host, settings.port)
        asyncio.run(log_dev_tokens(settings, direct))
        config = uvicorn_config(settings)
        if settings.workers > 1:
            workers.run(config)
        else:
            server = uvicorn.Server(config)
            server.run()
            if not server.started:
                return STARTUP_FAILURE
    return 0


def websocket_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's WebSocket options, for `serve` and for servers tests start themselves.

    The protocol is uvicorn's sans-I/O one (it holds a connection in less memory than its
    default: about 169 against 180 MiB for 1,000 subscribers, bench/subscriptions.py) with
    a way to send at once (`server.websocket_protocol`)."""
    from server.websocket_protocol import WebSocketProtocol

    return {
        "ws": WebSocketProtocol,
        "ws_max_size": settings.ws_max_message_bytes,
        # A compressed stream keeps zlib's state per connection and compresses every event
        # once per subscriber; off, clients that offer permessage-deflate go without it.
        "ws_per_message_deflate": settings.ws_compression,
    }


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """How uvicorn serves the app, which each worker builds from the environment."""

    from server.http_protocol import HttpProtocol, ServerConfig

    return ServerConfig(
        "server.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        # Names the software to every client and costs a header per response; the Date
        # header stays (HTTP asks an origin server with a clock for it).
        server_header=False,
        timeout_graceful_shutdown=30,
        lifespan="on",
        http=HttpProtocol,
        head_timeout=settings.header_timeout,
        timeout_keep_alive=settings.keep_alive_timeout,
        **websocket_options(settings),
    )


def _persisted_problem(settings: Settings) -> str | None:
    """Why the persisted-operation settings would stop the server's start, if they would."""
    from engine.persisted_manifest import ManifestError
    from server.engine_settings import persisted_operations

    try:
        persisted_operations(settings)
    except ManifestError as problem:
        return str(problem)
    return None


async def _seed_demo(url: str) -> bool:
    from server.demo import seed_demo_if_empty

    return await seed_demo_if_empty(url)


def _environment(settings: Settings, url: str) -> dict[str, str]:
    env = {"DATABASE_URL": url}
    for name, value in settings.model_dump(exclude={"database_url"}).items():
        if value is not None:  # unset stays unset (not the string "None")
            env[f"STOREFRONT_{name.upper()}"] = str(getattr(value, "value", value))
    return env
