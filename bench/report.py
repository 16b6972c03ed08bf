"""The report as text: one table of medians across rounds, the scaling and path lines,
the conditions of the run and the targets met or missed.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from typing import Any

from bench import peers
from bench.measure import STOLEN_LIMIT
from bench.plan import TITLES
from bench.targets import full_machine, mark, path_label, rounds_text


def render(report: dict[str, Any]) -> str:
    def rss(rounds: Sequence[Sequence[float]]) -> str:
        return " ".join("/".join(f"{mb:.0f}" for mb in run) for run in rounds)

    header = (
        f"{'request':<34} {'c':>3} {'ours r/s':>9} {'floor r/s':>9} {'ratio':>6} "
        f"{'ours p50/p99 ms':>17} {'floor p50/p99 ms':>17} {'errors o/f':>11} "
        f"{'SQL/req o/f':>11} {'CPU ms/req o/f':>14}  ours RSS MB by round"
    )
    lines = [header, "-" * len(header)]
    for row in report["rows"]:
        ours, theirs = row["ours"], row["floor"]
        sql = row["statements"]
        lines.append(
            f"{row['request'] + ' ' + TITLES[row['request']]:<34} {row['concurrency']:>3} "
            f"{ours['rps']:>9.1f} {theirs['rps']:>9.1f} {row['ratio']:>6.2f} "
            f"{ours['p50_ms']:>8.1f}/{ours['p99_ms']:<8.1f} "
            f"{theirs['p50_ms']:>8.1f}/{theirs['p99_ms']:<8.1f} "
            f"{ours['errors']:>5}/{theirs['errors']:<5} "
            f"{sql.get('ours', '-'):>5}/{sql.get('floor', '-')!s:<5} "
            f"{ours['cpu_ms_per_request']:>6.2f}/{theirs['cpu_ms_per_request']:<6.2f}  "
            f"{rss(ours['rss_mb_by_round'])}"
        )

    def side_by_side(label: str, line: dict[str, Any], a: dict[str, Any], b: dict[str, Any]) -> str:
        """A line of two runs of ours (a: first columns, b: the floor's columns)."""
        return (
            f"{label:<34} {line['concurrency']:>3} {a['rps']:>9.1f} {b['rps']:>9.1f} "
            f"{line['ratio']:>6.2f} {a['p50_ms']:>8.1f}/{a['p99_ms']:<8.1f} "
            f"{b['p50_ms']:>8.1f}/{b['p99_ms']:<8.1f} "
            f"{a['errors']:>5}/{b['errors']:<5} {'':>11} "
            f"{a['cpu_ms_per_request']:>6.2f}/{b['cpu_ms_per_request']:<6.2f}  "
            f"{rss(a['rss_mb_by_round'])}"
        )

    for line in report["scaling"]:
        label = f"{line['request']} ours x{line['workers']} workers vs x1"
        lines.append(side_by_side(label, line, line["many"], line["one"]))
    for line in report["scaling"]:
        lines.append(
            f"{line['request']} with {line['workers']} workers: {line['ratio']:.2f}x (rounds: "
            f"{rounds_text(line)}); the machine's CPUs were "
            f"{line['one']['machine_busy']:.0%} busy with one worker and "
            f"{line['many']['machine_busy']:.0%} with {line['workers']} (the servers, "
            "PostgreSQL and wrk share them): with every CPU busy and each answer costing "
            f"what it did with one worker, at most {full_machine(line['one']):.2f}x"
        )
    for line in report.get("paths", []):
        label = f"{line['request']} ours via {path_label(line)} vs direct"
        lines.append(side_by_side(label, line, line["other"], line["direct"]))
    for line in report.get("paths", []):
        if line["path"] == "PgBouncer":
            other, direct = line["other"], line["direct"]
            lines.append(
                f"{line['request']} via {path_label(line)}: CPU ms per answer, server "
                f"{other['cpu_ms_per_request']:.3f} (direct {direct['cpu_ms_per_request']:.3f}), "
                f"PostgreSQL {other.get('database_cpu_ms_per_request', 0):.3f} (direct "
                f"{direct.get('database_cpu_ms_per_request', 0):.3f}), "
                f"PgBouncer {other.get('pooler_cpu_ms_per_request', 0):.3f}; rounds: "
                f"{rounds_text(line)}"
            )
    lines.extend(peer_table(report))
    lines.extend(against_table(report))
    lines.append("")
    config = report["config"]
    lines.append(
        f"medians of {config['rounds']} round(s) of {config['duration']:g} s (after "
        f"{config['warmup']:g} s of warm-up), wrk -t{config['threads']}; ratio: the median "
        "of each round's ours/floor; scaling lines: ours with N workers (first columns) "
        "against 1 worker (floor columns); via lines: ours through PgBouncer or reading a "
        "replica (first columns) against ours direct (floor columns)"
    )
    lines.append(
        "the floor's Q2 and Q3 run "
        + (
            "one hand-written statement each"
            if config.get("floor_sql") == "minimum"
            else "the statements ours runs (--floor-sql minimum: one each)"
        )
    )
    busy = [row[side]["machine_busy"] for row in report["rows"] for side in ("ours", "floor")]
    if busy:
        lines.append(
            f"the machine's CPUs were {statistics.median(busy):.0%} busy during the timed runs "
            "(median; the servers, wrk, PostgreSQL and anything else running)"
        )
    timed = [run for sides in report["runs"].values() for runs in sides.values() for run in runs]
    stolen = [run["machine_stolen"] for run in timed]
    if stolen:
        lines.append(
            f"the host took {statistics.median(stolen):.1%} of the CPU time (median of the "
            f"timed runs kept; at most {max(stolen):.1%}); pairs measured again because it "
            f"took more than {STOLEN_LIMIT:.0%}: {len(report.get('remeasured', []))}"
        )
    others = [run["others_cores"] for run in timed]
    if others:
        lines.append(
            f"processes outside the measurement used {statistics.median(others):.2f} CPUs "
            f"(median of the timed runs; at most {max(others):.2f}) of {os.cpu_count()}"
        )
        if statistics.median(others) > 0.25:
            lines.append(
                "  that is other work on this machine (runs.*.others_busiest in the JSON names "
                "it): it slowed the servers down; compare on a quiet machine"
            )
    git = report.get("git") or {}
    if git:
        changed = " with uncommitted changes" if git.get("changed") else ""
        lines.append(f"measured at commit {git.get('commit', '?')[:12]}{changed}")
    lines.append("targets:")
    for check in report["targets"]:
        lines.append(f"  [{mark(check['pass'])}] {check['target']}: {check['value']}")
    return "\n".join(lines)


def peer_table(report: dict[str, Any]) -> list[str]:
    """Ours, the floor and the peer, where the peer ran."""
    return comparison_table(
        report,
        "three-way",
        {"ours": "ours", "floor": "floor", "peer": peers.LABEL},
        {"ratio": "o/floor", "peer_ratio": f"o/{peers.LABEL}"},
        f"{peers.LABEL}: {peers.NAME}, production mode, one process, pool 10, no auth (ours "
        f"verifies a staff JWT per request); o/{peers.LABEL}: the median of each round's ratio "
        "(rounds turn ours, floor, peer; floor, peer, ours; ...), its rounds last",
        digits=2,
    )


def against_table(report: dict[str, Any]) -> list[str]:
    """Ours now and ours at another checkout (`--against`), where it ran."""
    then = report["config"].get("against")
    return comparison_table(
        report,
        f"ours now against {then}",
        {"ours": "now", "against": "then"},
        {"against_ratio": "now/then"},
        f"then: {then}, another checkout's code served the same way, in the same rounds; "
        "now/then: the median of each round's ratio of ours now to ours then, its rounds last",
        digits=3,
    )


def comparison_table(
    report: dict[str, Any],
    title: str,
    sides: dict[str, str],
    ratios: dict[str, str],
    note: str,
    *,
    digits: int,
) -> list[str]:
    """The rows where every side ran, the sides (a row's key: a name) side by side: rates,
    the ratios (a row's key: a name; the last one's rounds at the end), latencies, errors,
    and the CPU time each answer cost the server's processes and PostgreSQL."""
    rows = [row for row in report["rows"] if all(key in row for key in sides)]
    if not rows:
        return []
    names = list(sides.values())
    table = [
        [
            title,
            "c",
            *(f"{name} r/s" for name in names),
            *ratios.values(),
            "p50/p99 ms: " + " | ".join(names),
            "errors " + "/".join(names),
            "server CPU ms/answer " + "/".join(names),
            "PostgreSQL CPU ms/answer " + "/".join(names),
            "rounds",
        ]
    ]
    for row in rows:
        figures = [row[key] for key in sides]
        table.append(
            [
                f"{row['request']} {TITLES[row['request']]}",
                str(row["concurrency"]),
                *(f"{side['rps']:.1f}" for side in figures),
                *(f"{row[key]:.3f}" for key in ratios),
                " | ".join(f"{side['p50_ms']:.1f}/{side['p99_ms']:.1f}" for side in figures),
                "/".join(str(side["errors"]) for side in figures),
                "/".join(f"{side['cpu_ms_per_request']:.{digits}f}" for side in figures),
                "/".join(f"{side['database_cpu_ms_per_request']:.{digits}f}" for side in figures),
                rounds_text(row, list(ratios)[-1].replace("ratio", "rounds")),
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    text = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in table
    ]
    return ["", text[0], "-" * len(text[0]), *text[1:], note]
