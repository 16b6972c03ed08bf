"""How fast hostile documents are refused, and what a stream of them does to memory.

    .venv/bin/python bench/hostile.py [--runs 7] [--requests 1000]

Starts a real `storefront serve` (on DATABASE_URL when set, else on an embedded PostgreSQL
of its own in a temporary directory; nothing is seeded: nothing hostile gets to run), then
over HTTP:
- times the refusal of each hostile document (median of `--runs`, after one warm-up), next
  to `{ __typename }` as the floor of a round trip;
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
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import rss_mib, serve, stop

Document = Callable[[int], str]  # a variant number -> a document


def aliases_flat(n: int) -> str:
    """10,000 aliases written out: 30,000 tokens."""
    return "{ " + " ".join(f"a{n}_{i}: __typename" for i in range(10_000)) + " }"


def aliases_through_fragments(n: int) -> str:
    """10,000 aliases in a 100-alias fragment spread 100 times: about 600 tokens."""
    hundred = " ".join(f"a{n}_{i}: __typename" for i in range(100))
    spreads = " ".join(["...Hundred"] * 100)
    return f"{{ {spreads} }} fragment Hundred on Query {{ {hundred} }}"


def depth_200(n: int) -> str:
    """Fields 200 levels deep: 199 with selections, then a leaf."""
    path = "products { nodes { category { " * 66 + "products { "
    return f"# {n}\n{{ {path} totalCount" + " }" * 199 + " }"


def cost_bomb(n: int) -> str:
    nested = "customers(first: 100) { nodes { orders(first: 100) { nodes { lines { id } } } } }"
    return f"# {n}\n{{ {nested} }}"


def comment_padding(n: int) -> str:
    """`{ __typename }` under 100,000 comments."""
    return f"{{ __typename }} # {n}\n" + "#\n" * 100_000


HOSTILE: dict[str, Document] = {
    "10,000 aliases, written out (token limit)": aliases_flat,
    "10,000 aliases through a fragment (alias limit)": aliases_through_fragments,
    "depth 200 (depth limit)": depth_200,
    "100 x 100 x 5 objects (cost limit)": cost_bomb,
    "100,000 comments (token limit)": comment_padding,
}


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


def memory_under_heavy_requests(
    client: httpx.Client, pid: int, count: int
) -> tuple[float, float, float, float]:
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
    after = rss_mib(pid)
    time.sleep(5)
    for _ in range(50):
        client.post("/graphql", json=light)
    return warm, peak, after, rss_mib(pid)


def post(client: httpx.Client, query: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.post("/graphql", json={"query": query})
    return (time.perf_counter() - started) * 1000, response


def refusal_times(client: httpx.Client, runs: int) -> dict[str, tuple[float, str]]:
    """Median milliseconds and the refusal's code, by document."""
    found = {}
    for label, document in {"{ __typename } (runs)": lambda n: "{ __typename }", **HOSTILE}.items():
        post(client, document(-1))  # warm-up
        times = []
        code = ""
        for run in range(runs):
            elapsed, response = post(client, document(run))
            times.append(elapsed)
            errors = response.json().get("errors") or [{"extensions": {"code": "none"}}]
            code = errors[0]["extensions"]["code"]
        found[label] = (statistics.median(times), code)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--heavy", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storefront-hostile-") as data_dir:
        # No DATABASE_URL: the server starts an embedded PostgreSQL in the data dir.
        process, base = serve(env={"STOREFRONT_DATA_DIR": data_dir}, ready_timeout=120)
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                for n in range(20):  # warm up code paths and allocator before measuring
                    post(client, "{ products(first: 1) { nodes { id } } }")
                    post(client, aliases_through_fragments(-100 - n))
                times = refusal_times(client, args.runs)
                before = rss_mib(process.pid)
                kinds = list(HOSTILE.values())
                started = time.perf_counter()
                for n in range(args.requests):
                    _, response = post(client, kinds[n % len(kinds)](1000 + n))
                    assert response.json()["errors"][0]["extensions"]["code"] == (
                        "QUERY_TOO_COMPLEX"
                    ), response.text[:300]
                spent = time.perf_counter() - started
                after = rss_mib(process.pid)
                memory = memory_under_heavy_requests(client, process.pid, args.heavy)
        finally:
            stop(process)
    print(f"refusal round trips over HTTP, median of {args.runs}:")
    for label, (median, code) in times.items():
        print(f"  {label:<50} {median:7.1f} ms  {code}")
    print(f"server RSS around {args.requests} refused hostile requests ({spent:.1f} s in all):")
    print(f"  before {before:.1f} MiB   after {after:.1f} MiB   ({after - before:+.1f} MiB)")
    warm, peak, right_after, idle = memory
    print(f"server RSS around {args.heavy} accepted requests as large as the bounds allow:")
    print(
        f"  warm {warm:.1f} MiB   peak {peak:.1f}   right after {right_after:.1f}"
        f"   idle again {idle:.1f} ({idle - warm:+.1f})"
    )
    held = "met" if peak <= 150 and idle - warm <= 20 else "NOT met"
    print(f"  targets (peak <= 150 MiB, idle within 20 MiB of warm): {held}")


if __name__ == "__main__":
    main()
