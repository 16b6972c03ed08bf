"""Throughput and latency of our server against a floor that does the same work without
GraphQL, under wrk: `make bench`.

    make bench [BENCH_ARGS="--only Q1,Q2 --duration 3 --rounds 1"]
    .venv/bin/python bench/run.py [--rounds 5] [--duration 10] [--warmup 2] [--only Q1,Q5]
                                  [--workers 2] [--concurrency 16,64] [--threads 1]
                                  [--no-peers] [--no-paths]
                                  [--pgbouncer PROGRAM[:named|:unnamed] ...]
                                  [--against CHECKOUT]

Uses DATABASE_URL when set (migrated, and seeded at the default scale when empty), else an
embedded PostgreSQL under .storefront/bench, kept between runs. Starts the real server
(`storefront serve`, one worker) and the floor (`bench/floor.py`) side by side, checks that
both give the same `data` for every canonical request, then for each request and
concurrency runs wrk against them in turn (ours, floor; floor, ours; ours, floor; ...): a
warm-up, then a timed run, for `--rounds` rounds. Then ours with `--workers` worker
processes against one worker, both started afresh, on Q1 and Q2 at the first concurrency,
with how busy the machine's CPUs were for each: a run with one worker that keeps them a
share b busy can grow at most 1/b times before they are full, however many workers serve
(unless each answer gets cheaper). On Q1-Q3 a third server joins the rounds (ours, floor,
peer; floor, peer, ours; ...): PostGraphile v5, installed on demand from npm at pinned
versions and checked to give the same data first (bench/peers.py; `--no-peers` skips it).
With `--against CHECKOUT` ours at another checkout's code joins the rounds of every request
the same way, checked against the floor first (bench/against.py).
Prints one table of medians across rounds (and the three-way table)
and the targets met or missed, and writes the same to bench/results/latest.json. A ratio
is the median of the rounds' ratios (each round's two runs follow each other), so a
stretch in which the machine runs slower weighs on both sides of a pair. A virtual
machine's host may take CPU time from it: a pair in which it took more than 5% from
either run is measured again (at most twice).

The canonical requests (their texts are in bench/floor_requests.py), all as staff:
  Q1  product(id) with 6 fields, the id rotating over 1,000 seeded products
  Q2  orders(first: 50) with customers, lines, products and categories (the contract's
      benchmark query)
  Q3  products(first: 100) filtered by price and category name, by price descending, with
      totalCount and pageInfo
  Q4  updateProduct at the current rev (price set to itself), over 2,000 products: each wrk
      thread owns its own products and sends each one's rev, counting up; successes are
      counted in the database (the sum of the revs), errors = requests - successes (a
      lower bound: writes still in flight when wrk stops count as successes, not requests)
  Q5  placeOrder with 3 lines for the bench customer over 300 products of the bench's own,
      restocked before every run; successes are the orders it added
  Q6  orders groupBy month of placedAt and status (100 groups at most), with count and sum
      of totals over every order: monthly revenue by status

req/s counts answers without errors (Q4, Q5: writes the database shows); errors are
non-2xx answers, socket errors and timeouts (wrk's, `--timeout`), and for Q4 and Q5 also
the answers that wrote nothing (a ConflictError is a 200). Before every warm-up and every
timed run the harness waits until every server it started is idle: requests wrk stopped
waiting for keep running, and would hold execution slots and connections. wrk runs with
one thread by default (`--threads`): on a 2-core machine that also runs the server and
PostgreSQL, a second wrk thread took CPU from the server under test and lowered what both
servers reached; one thread keeps up with either.

CPU ms/req is the CPU time the server's processes used per answer during the timed run; on
a machine shared with other work it moves less than req/s does. PostgreSQL's CPU per answer
is what its sessions with the bench's database used meanwhile (one server is loaded at a
time, the others idle). Statements per request are
counted with each app in this process (our `create_app` and the floor's, both with a query
logger on their pool; asyncpg's type introspection left out). Resident memory (VmRSS) of
every server process (each worker, for several) is read after each timed run. Q5 deletes
the orders a previous run left for the bench customer before it starts, so the database
does not grow from run to run; the tables the writes touch are compacted (VACUUM FULL) at
the start and vacuumed before every run of Q4 and Q5, autovacuum or not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import against, floor, peers
from bench.agree import precheck
from bench.common import ROOT, database, prepare
from bench.measure import Bench, Server, running
from bench.paths import as_json, other_paths, scaling
from bench.plan import REQUESTS, TITLES, make_plan
from bench.report import render
from bench.run_options import parse_args
from bench.statements import statements
from bench.targets import evaluate, paired_ratio, round_ratios, summarize
from bench.wrk import WRK

RESULTS = ROOT / "bench" / "results"


PEER_ENV = {"NODE_ENV": "production"}


def peer_names(args: argparse.Namespace) -> list[str]:
    return [name for name in args.names if name in peers.PEER_REQUESTS]


def timed_rows(
    bench: Bench,
    sides: tuple[Server, Server],
    peer: Server | None,
    then: Server | None,
    counts: dict[str, dict[str, int]],
    raw: dict[str, Any],
) -> list[dict[str, Any]]:
    """Ours against the floor (and the peer, on its requests; and ours at another checkout)
    in rounds, per request and concurrency."""
    rows = []
    for name in bench.args.names:
        servers = [*sides, peer] if peer and name in peers.PEER_REQUESTS else [*sides]
        servers += [then] if then else []
        for connections in bench.args.concurrencies:
            runs = bench.rounds(name, servers, connections)
            row = {
                "request": name,
                "title": TITLES[name],
                "concurrency": connections,
                "ours": summarize(runs["ours"]),
                "floor": summarize(runs["floor"]),
                "ratio": paired_ratio(runs["ours"], runs["floor"]),
                "rounds": round_ratios(runs["ours"], runs["floor"]),
                "statements": counts[name],
            }
            if peer and peer.label in runs:
                row["peer"] = summarize(runs[peer.label])
                row["peer_ratio"] = paired_ratio(runs["ours"], runs[peer.label])
                row["peer_rounds"] = round_ratios(runs["ours"], runs[peer.label])
            if then:
                row.update(against.row_fields(runs, then.label))
            rows.append(row)
            raw[f"{name} c={connections}"] = as_json(runs)
    return rows


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the work tree held changes on top of it."""
    program = shutil.which("git")
    if program is None:
        return {}

    def git(*args: str) -> str:
        done = subprocess.run(
            [program, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "changed": git("status", "--porcelain")[:2000]}


def main() -> None:
    args = parse_args(__doc__)
    if WRK is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian package)")
    started = time.monotonic()
    git = git_state()  # the code the servers start with
    RESULTS.mkdir(parents=True, exist_ok=True)
    with database() as url, tempfile.TemporaryDirectory(prefix="storefront-bench-") as scratch:
        print("preparing the database ...", file=sys.stderr)
        asyncio.run(prepare(url))
        plan = asyncio.run(make_plan(url))
        print("counting statements per request ...", file=sys.stderr)
        counts = asyncio.run(statements(url, plan, args.names))
        bench = Bench(url, plan, args, Path(scratch))
        raw: dict[str, Any] = {}
        command = peers.install() if args.peers and peer_names(args) else None
        with (
            running(bench, "ours") as ours,
            running(bench, "floor", command=[sys.executable, "-m", "bench.floor"]) as theirs,
            contextlib.ExitStack() as stack,
        ):
            print("comparing ours with the floor ...", file=sys.stderr)
            precheck(url, plan, ours.base, theirs.base, args.names)
            peer = None
            if command is not None:
                peer = stack.enter_context(
                    running(bench, peers.LABEL, command=command, peer=True, env=PEER_ENV)
                )
                print(f"comparing ours with {peers.NAME} ...", file=sys.stderr)
                peers.precheck(plan, ours.base, peer.base, peer_names(args))
            then = None
            if args.against:
                then = stack.enter_context(against.serving(bench, args.against))
                print(f"comparing {then.label} with the floor ...", file=sys.stderr)
                precheck(url, plan, then.base, theirs.base, args.names)
            print("timing ...", file=sys.stderr)
            rows = timed_rows(bench, (ours, theirs), peer, then, counts, raw)
            scaled = scaling(bench, theirs.base, raw)
            paths = other_paths(bench, ours, theirs.base) if args.paths else []
    report: dict[str, Any] = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "config": {
            "floor_sql": args.floor_sql,
            "rounds": args.rounds,
            "duration": args.duration,
            "warmup": args.warmup,
            "concurrency": args.concurrencies,
            "threads": args.threads,
            "workers": args.workers,
            "requests": args.names,
            "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded",
            "q3_category": plan.category,
            "peers": [peers.NAME] if command else [],
            "against": then.label if then else None,
        },
        "git": git,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "wrk": subprocess.run(
                [WRK, "-v"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[:1],
        },
        "queries": {name: getattr(floor, name) for name in REQUESTS},
        "peer_queries": peers.QUERIES if command else {},
        "rows": rows,
        "scaling": scaled,
        "paths": paths,
        "remeasured": bench.remeasured,
        "runs": raw,
    }
    report["targets"] = evaluate(report, args.concurrencies)
    report["wall_seconds"] = round(time.monotonic() - started, 1)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(render(report))
    print(f"\n{report['wall_seconds']:.0f} s in all; written to bench/results/latest.json")


if __name__ == "__main__":
    main()
