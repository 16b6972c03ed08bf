"""Wall time of one request sent again and again over one connection, as staff."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from bench.common import staff_headers


def timed_posts(
    base: str, body: dict[str, Any], *, runs: int, check: Callable[[Any], None]
) -> list[float]:
    """Milliseconds of each of `runs` POSTs of `body` to `base`/graphql, after five that warm
    the server up; `check` is given each answer's JSON body."""
    with httpx.Client(base_url=base, timeout=30, headers=staff_headers()) as client:
        for _ in range(5):
            client.post("/graphql", json=body).raise_for_status()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post("/graphql", json=body)
            times.append((time.perf_counter() - started) * 1000)
            check(response.json())
    return times


def spread(times: Sequence[float]) -> str:
    return (
        f"  median {statistics.median(times):.1f} ms   min {min(times):.1f} ms   "
        f"max {max(times):.1f} ms"
    )
