"""What hostile documents cost the server, and what a stream of them does to its memory.

    .venv/bin/python bench/hostile.py [--seconds 1.0] [--requests 1000] [--heavy 500]

Starts a real `storefront serve` in production mode (on DATABASE_URL when set, else on an
embedded PostgreSQL of its own in a temporary directory; nothing is seeded), then over HTTP:
- for each document of `bench/hostile_documents.py` (over a limit, or the worst found inside
  them), sends new variants of it for `--seconds` and prints the server's CPU time per
  request (from /proc), next to a plain lookup's (`product(id:)`, its document cached) and
  to the server's CPU for a document of the same token count and length that it only parses
  (blanks, then `{ a(b: 1 b: 1 …` never closed: read to the end, then refused as a syntax
  error); and the answer's code and size. The server reads every character of a request,
  tokens or not: a baseline of as many tokens but fewer characters would charge a document
  of few tokens and many blanks, strings or comments with reading them, which its length
  limit bounds, not validation;
- reads the server's resident memory (VmRSS) before and after `--requests` refused hostile
  requests, each a different text so the document cache cannot help;
- then sends `--heavy` requests that are accepted but as large as the argument bounds let
  them be (200-condition filters, 1,000-value `in` lists, 10,000-character filter text,
  1,000-character searches, 900 KB lookup strings), each different, and reads the memory
  when warm, at its peak, right after and once idle again: targets at most 150 MiB at the
  peak and within 20 MiB of warm once idle.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from graphql import parse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import cpu_seconds, rss_mib, serve, stop
from bench.hostile_documents import INSIDE, MAX_CHARS, OPERATION_NAMES, REFUSED, Document

LOOKUP = '{ product(id: "UHJvZHVjdDox") { id sku name price stock updatedAt } }'
VARIABLES = {"id": "UHJvZHVjdDox", "f": {"or": [{"name": {"contains": "lamp"}}] * 20}}
TARGET_MS = 20.0
TARGET_PARSES = 10.0


def post(client: httpx.Client, query: str, name: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"query": query, "variables": VARIABLES}
    if name:
        body["operationName"] = name
    return client.post("/graphql", json=body)


def outcome(response: httpx.Response) -> str:
    errors = response.json().get("errors")
    if not errors:
        return "data"
    return f"{errors[0]['extensions']['code']} x{len(errors)}"


def server_ms(
    client: httpx.Client, pid: int, document: Document, seconds: float, name: str | None
) -> tuple[float, httpx.Response]:
    """Server CPU per request, ms, over new variants sent for `seconds` (at least 10)."""
    response = post(client, document(-1), name)  # warm-up
    before = cpu_seconds([pid])
    started = time.perf_counter()
    sent = 0
    while sent < 10 or time.perf_counter() - started < seconds:
        response = post(client, document(sent), name)
        sent += 1
    return (cpu_seconds([pid]) - before) * 1000 / sent, response


def tokens(text: str) -> int:
    """Tokens as the limit counts them (comments too), 0 past graphql-core's nesting."""
    try:
        return parse(text, max_tokens=1_000_000).token_count
    except RecursionError:
        return 0


def parsing_only(count: int, length: int) -> Document:
    """A document of about `count` tokens and `length` characters that the server parses to
    its end and then refuses: blanks, then one field's arguments, never closed (arguments
    are no selections, so the count before parsing lets them through to the parser)."""

    def document(n: int) -> str:
        text = f"# {n}\n{{ a(" + "b: 1 " * max(1, (count - 4) // 3)
        return " " * (length - len(text)) + text

    return document


def lookup_ms(client: httpx.Client, pid: int, seconds: float) -> float:
    for _ in range(50):
        post(client, LOOKUP)
    before = cpu_seconds([pid])
    started = time.perf_counter()
    sent = 0
    while time.perf_counter() - started < seconds:
        assert "errors" not in post(client, LOOKUP).json()
        sent += 1
    return (cpu_seconds([pid]) - before) * 1000 / sent


def report(client: httpx.Client, pid: int, seconds: float) -> None:
    lookup = lookup_ms(client, pid, seconds * 2)
    print(f"server CPU per request; a plain lookup (document cached): {lookup:.2f} ms")
    header = f"  {'document':<44} {'tokens':>6} {'CPU ms':>7} {'x lookup':>8} {'parse ms':>8}"
    for title, documents in (("over a limit", REFUSED), ("inside the limits", INSIDE)):
        print(f"{title}:\n{header} {'x parse':>7}  answer")
        for label, document in documents.items():
            cpu, response = server_ms(client, pid, document, seconds, OPERATION_NAMES.get(label))
            text = document(0)
            count = tokens(text)
            parsing = float("nan")
            if count:
                baseline = parsing_only(count, min(len(text), MAX_CHARS))
                parsing, refusal = server_ms(client, pid, baseline, seconds / 2, None)
                assert outcome(refusal).startswith(("GRAPHQL_PARSE_FAILED", "QUERY_TOO")), refusal
            flag = "  over target" if cpu > TARGET_MS or cpu > TARGET_PARSES * parsing else ""
            print(
                f"  {label:<44} {count or '-':>6} {cpu:7.2f} {cpu / lookup:8.1f} "
                f"{parsing:8.2f} {cpu / parsing:7.1f}  {outcome(response)}, "
                f"{len(response.content):,} B{flag}"
            )


def memory(client: httpx.Client, pid: int, requests: int) -> None:
    before = rss_mib(pid)
    kinds = list(REFUSED.values())
    started = time.perf_counter()
    for n in range(requests):
        response = post(client, kinds[n % len(kinds)](1000 + n))
        assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", (
            response.text[:300]
        )
    spent = time.perf_counter() - started
    after = rss_mib(pid)
    print(f"server RSS around {requests} refused hostile requests ({spent:.1f} s in all):")
    print(f"  before {before:.1f} MiB   after {after:.1f} MiB   ({after - before:+.1f} MiB)")


PAGE = """query($f: ProductFilter, $s: String) {
  products(first: 20, filter: $f, search: $s) { totalCount nodes { name price } } }"""
BY_SKU = "query($sku: String!) { productBySku(sku: $sku) { name } }"


def heavy(n: int) -> tuple[str, dict[str, object]]:
    """An accepted request as large as the bounds allow; `n` makes every one different."""
    kind = n % 5
    if kind == 0:
        conditions = [{"name": {"eq": f"n{n}-{i}"}} for i in range(199)]
        return PAGE, {"f": {"or": conditions}}
    if kind == 1:
        return PAGE, {"f": {"sku": {"in": [f"S{n}-{i}" for i in range(1000)]}}}
    if kind == 2:
        return PAGE, {"f": {"description": {"contains": f"{n}" + "x" * 9_990}}}
    if kind == 3:
        return PAGE, {"s": " ".join(f"w{n}x{i}" for i in range(120))[:1000]}
    return BY_SKU, {"sku": f"{n}" + "y" * 900_000}


def memory_under_heavy_requests(client: httpx.Client, pid: int, count: int) -> None:
    """RSS (MiB) warm, at its peak during `count` heavy requests, right after, and idle."""
    light = {"query": PAGE, "variables": {"f": {"name": {"contains": "a"}}}}
    for _ in range(50):
        client.post("/graphql", json=light)
    warm = peak = rss_mib(pid)
    for n in range(count):
        query, variables = heavy(n)
        response = client.post("/graphql", json={"query": query, "variables": variables})
        assert "errors" not in response.json(), response.text[:300]
        peak = max(peak, rss_mib(pid))
    right_after = rss_mib(pid)
    time.sleep(5)
    for _ in range(50):
        client.post("/graphql", json=light)
    idle = rss_mib(pid)
    print(f"server RSS around {count} accepted requests as large as the bounds allow:")
    print(
        f"  warm {warm:.1f} MiB   peak {peak:.1f}   right after {right_after:.1f}"
        f"   idle again {idle:.1f} ({idle - warm:+.1f})"
    )
    held = "met" if peak <= 150 and idle - warm <= 20 else "NOT met"
    print(f"  targets (peak <= 150 MiB, idle within 20 MiB of warm): {held}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--heavy", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storefront-hostile-") as data_dir:
        # No DATABASE_URL: the server starts an embedded PostgreSQL in the data dir.
        environment = {"STOREFRONT_DATA_DIR": data_dir, "STOREFRONT_ENV": "production"}
        process, base = serve(env=environment, ready_timeout=120)
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                # Memory first: the report's documents of a megabyte raise the high-water mark.
                memory(client, process.pid, args.requests)
                memory_under_heavy_requests(client, process.pid, args.heavy)
                report(client, process.pid, args.seconds)
                print(f"server RSS after the documents above: {rss_mib(process.pid):.1f} MiB")
        finally:
            stop(process)


if __name__ == "__main__":
    main()
