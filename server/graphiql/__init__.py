"""GraphiQL for browsers (placeholder: loads from the CDN)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response


async def page(_request: Request) -> Response:
    return HTMLResponse("<!doctype html><title>GraphiQL</title><p>GraphiQL goes here</p>")


def routes() -> list[Any]:
    return []
