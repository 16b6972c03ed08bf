"""Ours at another checkout's code in the same rounds as ours now (`--against CHECKOUT`):
the same bench database, settings and token, this checkout's environment (so the same
versions of every dependency), only the repository's own code differs.

A checkout is any directory holding the repository's files at some commit, e.g. made with
`git worktree add DIR REV` or `git archive REV | tar -x -C DIR`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.measure import Bench, Run, Server, running
from bench.targets import paired_ratio, round_ratios, summarize

MIGRATIONS = Path("sql") / "migrations"
# What a checkout may hold beside its code: none of it is needed to serve, some is large.
NOT_CODE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", ".storefront", "results", "__pycache__", ".*_cache"
)


def label(checkout: Path) -> str:
    """ "ours at " the checkout's short commit when it is a git work tree's top, else its
    directory's name (an archive extracted inside a work tree would name that tree's)."""
    git = shutil.which("git")
    if git is not None:
        done = subprocess.run(
            [git, "-C", str(checkout), "rev-parse", "--show-toplevel", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
        top, _, commit = done.stdout.strip().partition("\n")
        if done.returncode == 0 and Path(top).resolve() == checkout.resolve():
            return f"ours at {commit}"
    return f"ours at {checkout.resolve().name}"


def servable_copy(checkout: Path, scratch: Path) -> tuple[Path, list[str]]:
    """A copy of the checkout's code that serves the bench database, and the migrations it
    was given. The database carries this checkout's migrations, and an older checkout's
    server refuses a database with one it does not know; so the copy gets the newer files,
    provided each file it has is ours, byte for byte (forward-only migrations: then its
    schema is a prefix of ours, and what ours added it never reads)."""
    if not (checkout / "server" / "cli.py").is_file() or not (checkout / MIGRATIONS).is_dir():
        raise SystemExit(f"--against: {checkout} is not a checkout of this repository")
    copy = scratch / "against"
    shutil.copytree(checkout, copy, ignore=NOT_CODE, symlinks=True)
    ours = {path.name: path.read_bytes() for path in (ROOT / MIGRATIONS).glob("*.sql")}
    theirs = {path.name: path.read_bytes() for path in (copy / MIGRATIONS).glob("*.sql")}
    differing = sorted(name for name, text in theirs.items() if ours.get(name) != text)
    if differing:
        raise SystemExit(
            f"--against: its migrations {', '.join(differing)} are not this checkout's; "
            "the bench database cannot suit both"
        )
    added = sorted(set(ours) - set(theirs))
    if added and min(added) < max(theirs, default=""):
        raise SystemExit(f"--against: it lacks migrations {', '.join(added)} of the middle")
    for name in added:
        (copy / MIGRATIONS / name).write_bytes(ours[name])
    return copy, added


@contextlib.contextmanager
def serving(bench: Bench, checkout: Path) -> Iterator[Server]:
    """Ours started from a copy of the checkout's code (its root first on the path, as
    bench/instructions.py --checkout does), as `make bench` starts ours now."""
    copy, added = servable_copy(checkout, bench.scratch)
    if added:
        print(f"  given this checkout's migrations {', '.join(added)}", file=sys.stderr)
    path = os.pathsep.join(filter(None, (str(copy), os.environ.get("PYTHONPATH"))))
    with running(bench, label(checkout), cwd=copy, env={"PYTHONPATH": path}) as server:
        yield server


def row_fields(runs: dict[str, list[Run]], then: str) -> dict[str, Any]:
    """A row's figures of ours then, and ours now over ours then per round."""
    return {
        "against": summarize(runs[then]),
        "against_ratio": paired_ratio(runs["ours"], runs[then]),
        "against_rounds": round_ratios(runs["ours"], runs[then]),
    }
