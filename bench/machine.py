"""Where a run's CPU time went: the machine's CPUs as a whole, the host's share (stolen),
the processes outside the measurement, and PostgreSQL's sessions with the bench's
database, all read from /proc.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def process_ticks() -> dict[int, tuple[int, int, bytes]]:
    """CPU ticks so far, parent and command line of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                cmdline = (entry / "cmdline").read_bytes()
                found[int(entry.name)] = (
                    int(fields[11]) + int(fields[12]),
                    int(fields[1]),
                    cmdline,
                )
    return found


def others_cores(
    before: dict[int, tuple[int, int, bytes]],
    after: dict[int, tuple[int, int, bytes]],
    *,
    ours: set[int],
    database: str,
    seconds: float,
) -> tuple[float, list[tuple[float, str]]]:
    """CPUs used meanwhile by processes that are not part of the measurement: neither the
    servers, this process and its children (wrk), PostgreSQL (its sessions with our
    database and its background processes) nor the kernel's threads (loopback traffic is
    partly theirs). Anything much above 0 made that run slower. Also the three busiest."""
    me = os.getpid()
    per_second = os.sysconf("SC_CLK_TCK") * max(seconds, 1e-9)
    used: list[tuple[float, str]] = []
    for pid, (ticks, parent, cmdline) in after.items():
        if pid in ours or pid == me or parent == me or not cmdline:
            continue
        if cmdline.split(b"\0")[0].endswith(b"/postgres"):
            continue  # the postmaster
        if cmdline.startswith(b"postgres:") and session_database(cmdline) in (None, database):
            continue  # a background process, or a session with our database
        spent = ticks - before.get(pid, (0, 0, b""))[0]
        if spent > 0:
            command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()[:80]
            used.append((round(spent / per_second, 3), command))
    used.sort(reverse=True)
    return sum(cores for cores, _ in used), used[:3]


def session_database(cmdline: bytes) -> str | None:
    """The database of a PostgreSQL session ("postgres: [cluster:] user db host(port)
    state", or "[local]" for a Unix socket); None for a background process."""
    if not cmdline.startswith(b"postgres:"):
        return None
    words = cmdline.replace(b"\0", b" ").decode(errors="replace").split()
    for i, word in enumerate(words[3:], start=3):
        if "(" in word or word == "[local]":
            return words[i - 1]
    return None


def database_seconds(
    before: dict[int, tuple[int, int, bytes]],
    after: dict[int, tuple[int, int, bytes]],
    database: str,
) -> float:
    """CPU time PostgreSQL's sessions with `database` used meanwhile, seconds: with one
    server loaded at a time, the database's side of its answers (sessions that ended
    meanwhile are missed; the servers' pools keep theirs)."""
    ticks = 0
    for pid, (now, _, cmdline) in after.items():
        if session_database(cmdline) == database:
            ticks += now - before.get(pid, (0, 0, b""))[0]
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int, int]:
    """(busy, total, stolen) CPU ticks of the whole machine so far, from /proc/stat;
    stolen: time a virtual machine's CPUs were ready but the host ran something else."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields), fields[7]


def settled(read: Callable[[], Any]) -> Any:
    """A count once it stops moving: requests still in flight when wrk stopped finish."""
    last = read()
    for _ in range(50):
        time.sleep(0.2)
        now = read()
        if now == last:
            return now
        last = now
    return last
