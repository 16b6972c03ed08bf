"""What metrics (and traces) cost under `make bench`'s load: servers with and without them
and the floor, timed in turn within one run.

    .venv/bin/python bench/metrics_cost.py [--rounds 6] [--duration 5] [--only Q1,Q2]
                                            [--concurrency 16] [--traces]

`make bench` compares our server with the floor; two runs of it, one with metrics and one
without, cannot show a 3% difference, because the floor itself moves more than that
between runs. Here `storefront serve` with metrics off, the same with `STOREFRONT_METRICS=
open` (tracing off), with `--traces` also one exporting every span (100% sampling) over
OTLP/HTTP to `bench/otlp_sink.py`, and the floor all run side by side on one database,
and each round times each of them once under wrk (`bench/run.py`'s runs: a warm-up, then
a timed run, each server idle first), in an order that rotates from round to round. Each
server's ratio to the floor is taken within a round, and the median over rounds printed,
with the median of the rounds' ratios of metrics on to metrics off: the drop of the ratio
to the floor that metrics cause.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.agree import precheck
from bench.common import database, prepare
from bench.measure import Bench, Run, running
from bench.plan import make_plan
from server.embedded import free_port

TARGET = 0.97


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6, help="timed runs per server (6)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per timed run (5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up (1)")
    parser.add_argument("--only", default="Q1,Q2", help="requests (Q1,Q2)")
    parser.add_argument("--concurrency", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--traces", action="store_true", help="also a server tracing all")
    args = parser.parse_args()
    args.threads, args.timeout = 1, 10.0
    names = [name.strip().upper() for name in args.only.split(",")]
    sink_port = free_port()
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "otlp_sink.py"), "--port", str(sink_port)]
    )
    try:
        with database() as url, tempfile.TemporaryDirectory(prefix="metrics-cost-") as scratch:
            asyncio.run(prepare(url))
            plan = asyncio.run(make_plan(url))
            bench = Bench(url, plan, args, Path(scratch))
            sides = {
                "off": {"STOREFRONT_METRICS": "off"},
                "metrics": {"STOREFRONT_METRICS": "open"},
            }
            if args.traces:
                sides["traces"] = {
                    "STOREFRONT_METRICS": "open",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}",
                    "OTEL_TRACES_SAMPLER": "always_on",
                }
            with ExitStack() as stack:
                servers = [stack.enter_context(running(bench, s, env=e)) for s, e in sides.items()]
                floor = stack.enter_context(
                    running(bench, "floor", command=[sys.executable, "-m", "bench.floor"])
                )
                servers.append(floor)
                for server in servers[:-1]:
                    precheck(url, plan, server.base, floor.base, names)
                for name in names:
                    runs: dict[str, list[Run]] = {server.label: [] for server in servers}
                    for turn in range(args.rounds):
                        at = turn % len(servers)
                        for server in servers[at:] + servers[:at]:
                            runs[server.label].append(bench.measure(name, server, args.concurrency))
                    report(name, args.concurrency, runs)
    finally:
        sink.terminate()
        sink.wait()


def report(name: str, connections: int, runs: dict[str, list[Run]]) -> None:
    floor = runs["floor"]
    print(f"{name} c={connections}: median over {len(floor)} rounds")
    for label, side in runs.items():
        if label == "floor":
            continue
        ratios = [a.rps / b.rps for a, b in zip(side, floor, strict=True)]
        cpu_ms = statistics.median(run.cpu_ms_per_request for run in side)
        print(
            f"  {label:<8} {statistics.median(run.rps for run in side):8.1f} req/s"
            f"  {cpu_ms:6.3f} CPU ms/req  ratio to the floor {statistics.median(ratios):.3f}"
            f"  (rounds {', '.join(f'{r:.3f}' for r in ratios)})"
        )
    off = runs["off"]
    for label in ("metrics", "traces"):
        if label not in runs:
            continue
        pairs = [a.rps / b.rps for a, b in zip(runs[label], off, strict=True)]
        cpu = [
            a.cpu_ms_per_request / b.cpu_ms_per_request
            for a, b in zip(runs[label], off, strict=True)
        ]
        held = "met" if label != "metrics" or statistics.median(pairs) >= TARGET else "NOT met"
        target = f"  (target >= {TARGET}: {held})" if label == "metrics" else ""
        print(
            f"  {label} / off: req/s x{statistics.median(pairs):.3f}, "
            f"CPU per request x{statistics.median(cpu):.3f}{target}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
