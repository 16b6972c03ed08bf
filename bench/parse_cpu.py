"""In-process CPU per hostile document: its parse and its whole preparation (parse, limits,
validation), with the token-list parser and with graphql-core's alone.

    .venv/bin/python bench/parse_cpu.py [--rounds 5] [--repeat 20]

Each round measures every document both ways, one after the other, so that both see the
same load; a new variant of the text each time, so no cache helps. Prints the least CPU per
document of the rounds (the one the load disturbed least) and the ratio of the two.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from graphql import GraphQLError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hostile_documents import INSIDE, REFUSED, Document
from engine import parsing
from engine.documents import DocumentCache
from engine.fast_values import Unhandled
from engine.limits import QueryLimits
from gql.schema import schema


def _unread(text: str, limits: QueryLimits) -> None:
    raise Unhandled


def cpu_ms(work: Callable[[str], object], document: Document, repeat: int, first: int) -> float:
    texts = [document(first + n) for n in range(repeat)]
    started = time.process_time()
    for text in texts:
        with contextlib.suppress(GraphQLError):  # a refusal is what some of them cost
            work(text)
    return (time.process_time() - started) * 1000 / repeat


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--repeat", type=int, default=20)
    args = options.parse_args()
    limits = QueryLimits()
    cache = DocumentCache(schema._schema, limits=limits, size=1)
    phases: dict[str, Callable[[str], object]] = {
        "parse": lambda text: parsing.parse_document(text, limits),
        "prepare": lambda text: cache.get(text, introspection=False),
    }
    print(f"{'document':<50} {'phase':<8} {'before':>7} {'after':>7} {'ratio':>6}  (ms CPU)")
    variant = 0
    for label, document in {**REFUSED, **INSIDE}.items():
        for phase, work in phases.items():
            best = {"before": float("inf"), "after": float("inf")}
            for _ in range(args.rounds):
                variant += args.repeat
                with mock.patch.object(parsing, "fast_parse", _unread):
                    before = cpu_ms(work, document, args.repeat, variant)
                best["before"] = min(best["before"], before)
                after = cpu_ms(work, document, args.repeat, variant + 1_000_000)
                best["after"] = min(best["after"], after)
            ratio = best["after"] / best["before"]
            print(
                f"{label[:50]:<50} {phase:<8} {best['before']:7.2f} {best['after']:7.2f} "
                f"{ratio:6.2f}"
            )


if __name__ == "__main__":
    main()
