"""PostGraphile v5, the peer `make bench` measures our server against on Q1-Q3.

Installed on demand from npm, at the versions pinned in bench/postgraphile/package.json and its
lock (Node 22 from the `node` package, postgraphile 5.1.5, connection-filter 4.0.1), into a
cache directory: $BENCH_PEERS_CACHE, else $XDG_CACHE_HOME (or ~/.cache)/storefront-bench/,
one directory per digest of those files, so a changed pin installs afresh. The server is
bench/postgraphile/postgraphile.mjs: production mode, one process, a pool of 10, no auth.

The same three reads in PostGraphile's naming (V4 preset: `productById`, `allOrders`,
relations as `customerByCustomerId`, raw UUIDs for ids) with what ours does implicitly
spelled out (live rows only, ordered by the same keys), checked equal to ours before
anything is timed (normalised as bench/peer_answers.py says).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench import floor_requests
from bench.agree import SAMPLE, check_same, post
from bench.common import ROOT, staff_headers
from bench.peer_answers import comparable
from bench.plan import Plan
from engine.node_ids import to_global_id

SOURCES = ROOT / "bench" / "postgraphile"
PEER_REQUESTS = ("Q1", "Q2", "Q3")
LABEL = "PGv5"
NAME = "PostGraphile 5.1.5 (Amber + V4 presets, connection-filter 4.0.1, Node 22)"

Q1 = "query($id: UUID!) { productById(id: $id) { id sku name price stock updatedAt } }"
Q2 = (
    "query { allOrders(first: 50, filter: {deletedAt: {isNull: true}}, "
    "orderBy: [NUMBER_ASC, ID_ASC]) { edges { node { number status total "
    "customerByCustomerId { name email } orderLinesByOrderId(orderBy: [POSITION_ASC]) { "
    "nodes { quantity unitPrice productByProductId { name price "
    "categoryByCategoryId { name } } } } } } } }"
)
Q3 = (
    "query($category: String!) { allProducts(first: 100, filter: {price: "
    '{greaterThanOrEqualTo: "10", lessThanOrEqualTo: "500"}, deletedAt: {isNull: true}, '
    "categoryByCategoryId: {name: {equalTo: $category}, deletedAt: {isNull: true}}}, "
    "orderBy: [PRICE_DESC, ID_DESC]) { totalCount nodes { id name price stock } "
    "pageInfo { hasNextPage endCursor } } }"
)
QUERIES = {"Q1": Q1, "Q2": Q2, "Q3": Q3}


def body(plan: Plan, name: str, k: int = 0) -> dict[str, Any]:
    """The k-th body of a read, as PostGraphile is asked it (Plan.body's, renamed)."""
    if name == "Q1":
        return {"query": Q1, "variables": {"id": str(plan.q1_ids[k % len(plan.q1_ids)])}}
    if name == "Q2":
        return {"query": Q2}
    if name == "Q3":
        return {"query": Q3, "variables": {"category": plan.category}}
    raise ValueError(name)


def bodies(plan: Plan, name: str) -> list[dict[str, Any]]:
    return [body(plan, name, k) for k in range(len(plan.q1_ids) if name == "Q1" else 1)]


def precheck(plan: Plan, ours: str, peer: str, names: Sequence[str]) -> None:
    """Q1 (a sample of ids, and an id of no product), Q2 and Q3 to ours (as staff) and the
    peer (no auth): the same data once normalised, or nothing is timed."""
    with (
        httpx.Client(base_url=ours, headers=staff_headers(), timeout=60) as a,
        httpx.Client(base_url=peer, timeout=60) as b,
    ):
        for name in names:
            turns = [k * 37 for k in range(SAMPLE if name == "Q1" else 1)]
            pairs = [(plan.body(name, k), body(plan, name, k)) for k in turns]
            if name == "Q1":  # an id of no product: null on both sides
                nobody = UUID(int=7)
                unknown = {"id": to_global_id("Product", nobody)}
                pairs.append(
                    (
                        {"query": floor_requests.Q1, "variables": unknown},
                        {"query": Q1, "variables": {"id": str(nobody)}},
                    )
                )
            for ours_body, peer_body in pairs:
                check_same(
                    f"{name} {peer_body.get('variables', {})}",
                    comparable(post(a, ours_body), peer=False),
                    comparable(post(b, peer_body), peer=True),
                    other=LABEL,
                )
            print(f"  {name}: ours and {LABEL} give the same data", file=sys.stderr)


# -- installing and starting ---------------------------------------------------------------


def cache_dir() -> Path:
    files = ("package.json", "package-lock.json", "postgraphile.mjs")
    digest = hashlib.sha256(b"".join((SOURCES / f).read_bytes() for f in files)).hexdigest()
    base = os.environ.get("BENCH_PEERS_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("BENCH_PEERS_CACHE"):
        root = root / "storefront-bench"
    return root / f"postgraphile-{digest[:12]}"


def install() -> list[str]:
    """The command that runs the peer, installing it first when the cache lacks it."""
    target = cache_dir()
    node = target / "node_modules" / "node" / "bin" / "node"
    if not (target / ".installed").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("the peer needs npm to install it; or run with --no-peers")
        print(f"installing {NAME} into {target} ...", file=sys.stderr)
        target.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(SOURCES / name, target / name)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=target,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not node.exists():
            raise SystemExit(f"npm ci failed in {target}:\n{done.stdout}\n{done.stderr}")
        (target / ".installed").touch()
    # The script sits beside node_modules: Node resolves its imports from where it lies.
    shutil.copyfile(SOURCES / "postgraphile.mjs", target / "postgraphile.mjs")
    return [str(node), str(target / "postgraphile.mjs")]
