"""`make bench`'s command line (bench/run.py describes the run)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bench.paths import pgbouncer_option
from bench.plan import REQUESTS


def parse_args(description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per server (5)")
    parser.add_argument(
        "--duration",
        type=int,
        default=10,
        help="whole seconds per timed run (10; wrk takes no fractions)",
    )
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up (2)")
    parser.add_argument("--only", default=",".join(REQUESTS), help="requests, e.g. Q1,Q2")
    parser.add_argument(
        "--workers", type=int, default=2, help="workers of the scaling run; 1 skips it (2)"
    )
    parser.add_argument("--concurrency", default="16,64", help="wrk connections (16,64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--timeout", type=float, default=10, help="wrk's request timeout (10)")
    parser.add_argument(
        "--floor-sql",
        choices=("ours", "minimum"),
        default="ours",
        help="the floor's SQL for Q2 and Q3: the statements our server runs, or one "
        "hand-written statement each (ours)",
    )
    parser.add_argument(
        "--no-paths",
        dest="paths",
        action="store_false",
        help="skip ours through PgBouncer and from a replica against ours direct",
    )
    parser.add_argument(
        "--pgbouncer",
        dest="pgbouncers",
        action="append",
        type=pgbouncer_option,
        metavar="PROGRAM[:named|:unnamed]",
        help="a PgBouncer for the path lines, repeatable: all in the same rounds (default "
        "PGBOUNCER, else pgbouncer on the PATH; statements named from 1.21 on)",
    )
    parser.add_argument(
        "--no-peers",
        dest="peers",
        action="store_false",
        help="skip PostGraphile v5 on Q1-Q3 (installed on demand from npm otherwise)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="CHECKOUT",
        help="also ours at another checkout's code (a directory holding an older commit of "
        "this repository), in the same rounds, with this checkout's environment",
    )
    args = parser.parse_args()
    os.environ["FLOOR_SQL"] = args.floor_sql  # the floor reads it, in process and out
    args.names = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = set(args.names) - set(REQUESTS)
    if unknown or not args.names:
        parser.error(f"--only takes some of {', '.join(REQUESTS)}")
    args.concurrencies = [int(c) for c in args.concurrency.split(",")]
    args.pgbouncers = args.pgbouncers or [(None, None)]
    if args.rounds < 1 or args.duration <= 0 or min(args.concurrencies) < args.threads:
        parser.error("need rounds >= 1, duration > 0 and concurrency >= threads")
    if args.against is not None and not args.against.is_dir():
        parser.error(f"--against: {args.against} is not a directory")
    return args
