"""What metrics and traces cost per request: CPU time of the app in this process.

    .venv/bin/python bench/observability.py [--requests 400] [--rounds 7]

Four apps over the same database, built in this process: nothing observed (no metrics,
no slow log, no traces), the default (the slow-operation log only), metrics on, and
metrics with traces at 100% sampling exported over OTLP/HTTP to `bench/otlp_sink.py`
(started here). Each round sends every app the same
requests (Q1: a product by id, the ids rotating; Q2: the nested orders page) one after the
other through the ASGI interface (no sockets, no client library: what is timed is the
app), in a rotating order, and reads the process's CPU time around them; the exporter's
thread is part of the process. On a busy machine a round's figures move together, so each
configuration is compared with the unobserved app of the same round, and the median of
those ratios is printed, and the median of the rounds' ratios of metrics on to the
default (what turning metrics on adds under `make bench`, whose servers log slow
operations either way).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database, prepare, staff_headers
from bench.floor_requests import Q1, Q2
from engine.node_ids import to_global_id
from server.app import create_app
from server.embedded import free_port
from server.settings import Settings
from sql.pool import connect

CONFIGS = ("nothing", "default", "metrics", "metrics+traces")


async def ask(app: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """One POST /graphql straight to the ASGI app; its status."""
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    return status


def app_for(config: str, url: str, sink: str) -> Any:
    settings = Settings(
        database_url=url,
        metrics="off" if config in ("nothing", "default") else "open",
        slow_operation_ms=0 if config == "nothing" else 1000,
    )
    provider = None
    if config == "metrics+traces":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ALWAYS_ON

        provider = TracerProvider(sampler=ALWAYS_ON)
        exporter = OTLPSpanExporter(endpoint=f"{sink}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return create_app(settings, tracer_provider=provider)


async def measure(args: argparse.Namespace, url: str, sink: str) -> dict[str, Any]:
    async with connect(url) as conn:
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM products ORDER BY id LIMIT 200")]
    headers = [(k.lower().encode(), v.encode()) for k, v in staff_headers().items()]
    headers.append((b"content-type", b"application/json"))
    bodies = {
        "Q1": [
            orjson.dumps({"query": Q1, "variables": {"id": to_global_id("Product", i)}})
            for i in ids
        ],
        "Q2": [orjson.dumps({"query": Q2})],
    }
    configs = args.configs
    bodies = {name: bodies[name] for name in args.only}
    apps = {config: app_for(config, url, sink) for config in configs}
    cpu: dict[tuple[str, str], list[float]] = {}
    recording: dict[str, float] = {}
    contexts = [app.router.lifespan_context(app) for app in apps.values()]
    for context in contexts:
        await context.__aenter__()
    try:
        for name, texts in bodies.items():
            count = args.requests if name == "Q1" else max(args.requests // 10, 20)
            for app in apps.values():  # warm: caches, prepared statements
                for k in range(50):
                    assert await ask(app, texts[k % len(texts)], headers) == 200
            for round_ in range(args.rounds):
                turn = round_ % len(configs)
                order = configs[turn:] + configs[:turn]
                for config in order:
                    app = apps[config]
                    started = time.process_time()
                    for k in range(count):
                        await ask(app, texts[k % len(texts)], headers)
                    spent = (time.process_time() - started) / count * 1e6
                    cpu.setdefault((name, config), []).append(spent)
            if "metrics" in apps:
                recording[name] = await record_alone(apps["metrics"], texts[0], headers)
    finally:
        for context in contexts:
            await context.__aexit__(None, None, None)
    out = report(cpu, args)
    for name, spent in recording.items():
        share = spent / statistics.median(cpu[(name, "metrics")])
        print(f"{name}: metrics' record of one request alone: {spent:.2f} µs ({share:.1%})")
    return out


async def record_alone(app: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> float:
    """CPU µs of the one step metrics add to an observed request (`Metrics.record`), on
    the record of a real request, timed alone: steadier than the difference of two apps'
    figures, which the machine's other work moves by more than this costs."""
    metrics = app.state.metrics
    original = metrics.record
    kept: list[Any] = []
    metrics.record = lambda observation, seconds: kept.append((observation, seconds))
    try:
        assert await ask(app, body, headers) == 200
    finally:
        metrics.record = original
    observation, seconds = kept[0]
    best = float("inf")
    for _ in range(7):
        started = time.process_time()
        for _ in range(5000):
            original(observation, seconds)
        best = min(best, (time.process_time() - started) / 5000 * 1e6)
    return best


def report(cpu: dict[tuple[str, str], list[float]], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in args.only:
        base = cpu[(name, "nothing")]
        print(f"{name}: CPU µs per request, median of {args.rounds} rounds (ratio to nothing)")
        for config in args.configs:
            spent = cpu[(name, config)]
            ratios = [s / b for s, b in zip(spent, base, strict=True)]
            print(
                f"  {config:<15} {statistics.median(spent):9.0f} µs"
                f"   x{statistics.median(ratios):.3f}"
                f"   (rounds: {', '.join(f'{r:.3f}' for r in ratios)})"
            )
            out[f"{name} {config}"] = {"cpu_us": spent, "ratios": ratios}
        if "default" in args.configs and "metrics" in args.configs:
            # What `make bench` compares: metrics on and off, the slow log on in both.
            paired = [
                m / d for m, d in zip(cpu[(name, "metrics")], cpu[(name, "default")], strict=True)
            ]
            print(
                f"  metrics / default: x{statistics.median(paired):.3f} CPU per request"
                f"   (rounds: {', '.join(f'{r:.3f}' for r in paired)})"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400, help="Q1 requests a round (400)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (7)")
    parser.add_argument("--only", default="Q1,Q2", help="requests (Q1,Q2)")
    parser.add_argument(
        "--configs", default=",".join(CONFIGS), help=f"apps, `nothing` first ({','.join(CONFIGS)})"
    )
    args = parser.parse_args()
    args.only = args.only.split(",")
    args.configs = tuple(args.configs.split(","))
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "otlp_sink.py"), "--port", str(port)]
    )
    try:
        with database() as url:
            asyncio.run(prepare(url))
            os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
            asyncio.run(measure(args, url, f"http://127.0.0.1:{port}"))
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
