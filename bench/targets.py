"""Medians, paired ratios, and the targets each report is checked against."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from bench.measure import Run

RATIO_TARGETS = {"Q1": 0.85, "Q2": 0.6, "Q3": 0.6, "Q4": 0.5, "Q5": 0.5, "Q6": 0.8}
SCALING_TARGET = 1.6
PEER_TARGET = 1.0  # ours at least as fast as PostGraphile v5 (issue 22)
AGAINST_TARGET = 0.95  # ours now within 5% of ours at another checkout, or faster (issue 16)
POOLED_TARGET = 0.9  # through PgBouncer, at least this share of the direct rate
REPLICA_REQUESTS = ("Q1", "Q2", "Q3")
TAIL_TARGET = 4.0  # p99 at most this many times p50, at the highest concurrency
RSS_LIMIT_MB = 150.0


RSS_DRIFT_MB = 10.0  # "flat": how far memory may rise under one load after its first round


def median(runs: Sequence[Run], attribute: str) -> float:
    return float(statistics.median(getattr(run, attribute) for run in runs))


def round_ratios(ours: Sequence[Run], theirs: Sequence[Run]) -> list[float]:
    """Each round's ratio of the two sides' rates."""
    return [round(a.rps / b.rps, 3) for a, b in zip(ours, theirs, strict=True) if b.rps > 0]


def paired_ratio(ours: Sequence[Run], theirs: Sequence[Run]) -> float:
    """The median over rounds of one round's ratio: each round's two runs follow each
    other, so a machine that is slower for a while slows both sides of a pair, where the
    ratio of the two sides' medians could take them from different stretches."""
    ratios = round_ratios(ours, theirs)
    return round(float(statistics.median(ratios)), 3) if ratios else 0.0


def summarize(runs: Sequence[Run]) -> dict[str, Any]:
    return {
        "rps": round(median(runs, "rps"), 1),
        "p50_ms": round(median(runs, "p50_ms"), 2),
        "p99_ms": round(median(runs, "p99_ms"), 2),
        "errors": sum(run.errors for run in runs),
        "cpu_ms_per_request": round(median(runs, "cpu_ms_per_request"), 3),
        "database_cpu_ms_per_request": round(median(runs, "database_cpu_ms_per_request"), 3),
        "pooler_cpu_ms_per_request": round(median(runs, "pooler_cpu_ms_per_request"), 3),
        "machine_busy": round(median(runs, "machine_busy"), 3),
        "others_cores_max": max(run.others_cores for run in runs),
        "rss_mb_by_round": [run.rss_mb for run in runs],
    }


def rounds_text(line: dict[str, Any], key: str = "rounds") -> str:
    return ", ".join(f"{ratio:.2f}" for ratio in line[key])


def path_label(line: dict[str, Any]) -> str:
    """The path's server: "PgBouncer 1.18.0 unnamed" (reports before it: "PgBouncer")."""
    return str(line.get("label") or line["path"])


def full_machine(runs: dict[str, Any]) -> float:
    """How many times its throughput a run could reach with every CPU busy and each answer
    costing the machine as much CPU as it did: a bound on what more workers can gain."""
    return 1 / max(float(runs["machine_busy"]), 1e-9)


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def rss_flat(readings: Sequence[Sequence[float]]) -> bool:
    """No growth under one load: `readings` are one request's rounds at one concurrency
    (one reading per worker each), in order. Its first round may raise memory to the
    high-water mark of that load (a new, heavier request warms caches and buffers); a leak
    keeps rising after it, so no later round may stand more than RSS_DRIFT_MB above the
    second. Comparing a server's later requests with its earlier ones instead took a
    heavier request served later (Q2 at 64 clients after Q1) for growth."""
    for worker in zip(*readings, strict=False):
        if len(worker) >= 3 and max(worker[2:]) - worker[1] > RSS_DRIFT_MB:
            return False
    return True


def evaluate(report: dict[str, Any], concurrencies: Sequence[int]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    low, high = min(concurrencies), max(concurrencies)
    rows = report["rows"]
    for row in rows:
        if row["concurrency"] == low and row["request"] in RATIO_TARGETS:
            target = RATIO_TARGETS[row["request"]]
            checks.append(
                {
                    "target": f"{row['request']} ours/floor at c={low} >= {target}",
                    "value": f"{row['ratio']} (rounds: {rounds_text(row)})",
                    "pass": row["ratio"] >= target,
                }
            )
    for row in rows:
        if row["concurrency"] == high:
            ours = row["ours"]
            tail = ours["p99_ms"] / ours["p50_ms"] if ours["p50_ms"] else float("inf")
            checks.append(
                {
                    "target": f"{row['request']} at c={high}: p99 <= {TAIL_TARGET:g} x p50, "
                    "no errors",
                    "value": f"p99/p50 {tail:.1f}, {ours['errors']} errors",
                    "pass": tail <= TAIL_TARGET and ours["errors"] == 0,
                }
            )
    others = (("peer", "PostGraphile v5", PEER_TARGET), ("against", "", AGAINST_TARGET))
    for side, name, target in others:
        name = name or str(report["config"].get("against"))
        for row in rows:
            if row["concurrency"] == low and side in row:
                checks.append(
                    {
                        "target": f"{row['request']} ours/{name} at c={low} >= {target:g}",
                        "value": f"{row[side + '_ratio']} (rounds: "
                        f"{rounds_text(row, side + '_rounds')})",
                        "pass": row[side + "_ratio"] >= target,
                    }
                )
    for line in report["scaling"]:
        checks.append(
            {
                "target": f"{line['request']} {line['workers']} workers >= "
                f"{SCALING_TARGET:g} x 1 worker (c={line['concurrency']})",
                "value": f"{line['ratio']} (rounds: {rounds_text(line)}; every CPU busy "
                f"at one worker's CPU per answer: {full_machine(line['one']):.2f})",
                "pass": line["ratio"] >= SCALING_TARGET,
            }
        )
    for line in report.get("paths", []):
        if line["path"] == "PgBouncer":
            checks.append(
                {
                    "target": f"{line['request']} via {path_label(line)} >= "
                    f"{POOLED_TARGET:g} x direct "
                    f"(c={line['concurrency']})",
                    "value": f"{line['ratio']} (rounds: {rounds_text(line)})",
                    "pass": line["ratio"] >= POOLED_TARGET,
                }
            )
    readings = [row["ours"]["rss_mb_by_round"] for row in rows]
    readings += [line["many"]["rss_mb_by_round"] for line in report["scaling"]]
    largest = max((mb for rounds in readings for run in rounds for mb in run), default=0.0)
    checks.append(
        {
            "target": f"ours RSS <= {RSS_LIMIT_MB:g} MB per worker",
            "value": f"largest {largest:.1f} MB",
            "pass": largest <= RSS_LIMIT_MB,
        }
    )
    flat = all(rss_flat(rounds) for rounds in readings)
    checks.append(
        {
            "target": "ours RSS flat across rounds (under each load, no round after the "
            f"second above the second by more than {RSS_DRIFT_MB:g} MB)",
            "value": "flat" if flat else "grows",
            "pass": flat,
        }
    )
    return checks
