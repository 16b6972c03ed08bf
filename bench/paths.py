"""Ours on other paths and with more workers, each against ours as `make bench` runs it
first: through PgBouncer, from a streaming replica, and with several worker processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

from bench.agree import precheck
from bench.common import streaming_replica
from bench.measure import Bench, Run, Server, running
from bench.targets import paired_ratio, round_ratios, summarize
from server.pgbouncer import executable, pgbouncer

REPLICA_REQUESTS = ("Q1", "Q2", "Q3")


def other_paths(bench: Bench, ours: Server, floor_base: str) -> list[dict[str, Any]]:
    """Ours through PgBouncer in transaction mode (every request; each `--pgbouncer` in the
    same rounds) and ours reading from a streaming replica of the bench database (Q1-Q3,
    embedded database only), each in rounds with ours on the direct path, at the first
    concurrency."""
    args, lines = bench.args, []
    connections = args.concurrencies[0]

    def compare(path: str, names: Sequence[str], others: Sequence[Server]) -> None:
        for other in others:
            precheck(bench.url, bench.plan, other.base, floor_base, names)
        for name in names:
            runs = bench.rounds(name, (ours, *others), connections)
            direct = summarize(runs[ours.label])
            for other in others:
                lines.append(
                    {
                        "request": name,
                        "path": path,
                        "label": other.label,
                        "concurrency": connections,
                        "direct": direct,
                        "other": summarize(runs[other.label]),
                        "ratio": paired_ratio(runs[other.label], runs[ours.label]),
                        "rounds": round_ratios(runs[other.label], runs[ours.label]),
                    }
                )

    print("ours through PgBouncer (transaction mode) against direct ...", file=sys.stderr)
    with contextlib.ExitStack() as stack:
        pooled = []
        labels: set[str] = set()
        for i, (program, named) in enumerate(args.pgbouncers):
            workdir = bench.scratch / f"pgbouncer-{i}"
            pooler = stack.enter_context(
                pgbouncer(bench.url, workdir, program=program, named=named)
            )
            if pooler.label in labels:  # runs are kept by label: the two would mix
                raise SystemExit(f"--pgbouncer: {pooler.label} is given twice")
            labels.add(pooler.label)
            print(f"  {pooler.label} statements: {program or executable()}", file=sys.stderr)
            env = {**pooler.env(), "DATABASE_DIRECT_URL": bench.url}
            server = running(bench, pooler.label, url=pooler.url, pooler=pooler.pid, env=env)
            pooled.append(stack.enter_context(server))
        compare("PgBouncer", args.names, pooled)
    names = [name for name in args.names if name in REPLICA_REQUESTS]
    with streaming_replica(bench.url, bench.scratch / "replica") as replica_url:
        if replica_url is None or not names:
            print("no replica lines: they need the embedded database", file=sys.stderr)
            return lines
        print("ours reading from a streaming replica against direct ...", file=sys.stderr)
        env = {"DATABASE_REPLICA_URL": replica_url}
        with running(bench, "replica", env=env) as replicated:
            compare("replica", names, [replicated])
    return lines


def pgbouncer_option(value: str) -> tuple[str | None, bool | None]:
    """`--pgbouncer PROGRAM[:named|:unnamed]`: the program (default `PGBOUNCER`, else
    Debian's) and its statements (default: named when its version can keep them)."""
    program, colon, mode = value.rpartition(":")
    if not colon or mode not in ("named", "unnamed"):
        program, mode = value, ""
    return program or None, {"named": True, "unnamed": False}.get(mode)


def scaling(bench: Bench, floor_base: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Ours with `--workers` workers against one, both started afresh (the first server has
    served every request before), on Q1 and Q2 at the first concurrency."""
    args = bench.args
    lines: list[dict[str, Any]] = []
    scaled = [name for name in ("Q1", "Q2") if name in args.names]
    if args.workers <= 1 or not scaled:
        return lines
    print(f"ours with {args.workers} workers against 1 ...", file=sys.stderr)
    many_label = f"ours x{args.workers}"
    with (
        running(bench, "ours x1") as single,
        running(bench, many_label, workers=args.workers) as many,
    ):
        precheck(bench.url, bench.plan, many.base, floor_base, scaled)
        precheck(bench.url, bench.plan, single.base, floor_base, scaled)
        connections = args.concurrencies[0]
        for name in scaled:
            pair = bench.rounds(name, (single, many), connections)
            lines.append(
                {
                    "request": name,
                    "concurrency": connections,
                    "workers": args.workers,
                    "one": summarize(pair[single.label]),
                    "many": summarize(pair[many_label]),
                    "ratio": paired_ratio(pair[many_label], pair[single.label]),
                    "rounds": round_ratios(pair[many_label], pair[single.label]),
                }
            )
            raw[f"{name} c={connections} scaling"] = as_json(pair)
    return lines


def as_json(runs: dict[str, list[Run]]) -> dict[str, list[dict[str, Any]]]:
    """Every run of every side, for the report's JSON."""
    return {side: [dataclasses.asdict(run) for run in each] for side, each in runs.items()}
