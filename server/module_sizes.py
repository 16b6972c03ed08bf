"""Modules stay at most 300 lines: `python -m server.module_sizes` lists every Python module
of the package folders over the bound and fails when there is one (`make check` runs it).

A module that grows past the bound holds more than one concern: split it by concern, into
modules whose names say what they hold, rather than raising the bound."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

MAX_LINES = 300
PACKAGES = ("server", "engine", "gql", "resolvers", "loaders", "sql", "bench")


def oversized(
    root: Path, packages: Iterable[str] = PACKAGES, limit: int = MAX_LINES
) -> list[tuple[Path, int]]:
    """Every module under `packages` of more than `limit` lines, largest first."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            with path.open("rb") as source:
                lines = sum(1 for _ in source)
            if lines > limit:
                found.append((path.relative_to(root), lines))
    return sorted(found, key=lambda item: -item[1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m server.module_sizes",
        description=f"Fail when a module of {', '.join(PACKAGES)} has over {MAX_LINES} lines.",
    )
    parser.add_argument("--root", type=Path, default=Path())
    args = parser.parse_args(argv)
    over = oversized(args.root)
    for path, lines in over:
        print(f"{path}: {lines} lines (at most {MAX_LINES}): split it by concern", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
