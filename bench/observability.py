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
those ratios is printed.
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

from bench.common import database, free_port, prepare, staff_headers
from bench.floor import Q1, Q2
from engine.node_ids import to_global_id
from server.app import create_app
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
    finally:
        for context in contexts:
            await context.__aexit__(None, None, None)
    return report(cpu, args)


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
