"""Before anything is timed: every canonical request, sent to two servers, must give the
same data (`precheck`), or the run stops with a diff.
"""

from __future__ import annotations

import asyncio
import datetime
import difflib
import json
import sys
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import httpx

from bench import floor_requests
from bench.common import (
    staff_headers,
)
from bench.plan import Plan, fetch_row, fetch_value, product_revs, update_body
from engine.node_ids import to_global_id, uuid_of

SAMPLE = 20  # Q1 ids checked against the floor before timing


def ordered(value: Any) -> Any:
    """JSON with objects as lists of (key, value): equal only in the same key order."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def check_same(
    label: str, ours: dict[str, Any], theirs: dict[str, Any], *, other: str = "the floor"
) -> None:
    """Aborts with a diff unless both answered without errors and with the same data."""
    problems = []
    for side, body in (("ours", ours), (other, theirs)):
        if body.get("errors") or "data" not in body:
            problems.append(f"{side} answered with errors: {body.get('errors')}")
    if not problems and ordered(ours["data"]) != ordered(theirs["data"]):
        ours_text = json.dumps(ours["data"], indent=1, ensure_ascii=False).splitlines()
        floor_text = json.dumps(theirs["data"], indent=1, ensure_ascii=False).splitlines()
        diff = difflib.unified_diff(ours_text, floor_text, "ours", other, lineterm="", n=2)
        problems.append("data differ (key order counts):\n" + "\n".join(list(diff)[:80]))
    if problems:
        raise SystemExit(
            f"{label}: ours and {other} disagree; nothing was timed.\n" + ("\n".join(problems))
        )


def masked(body: dict[str, Any], path: Sequence[str], keys: Sequence[str]) -> dict[str, Any]:
    """A copy with the values of `keys` in the object at `path` under data replaced; the
    first step of the path is a mutation field, which must have succeeded."""
    outcome = (body.get("data") or {}).get(path[0]) or {}
    if not str(outcome.get("__typename", "")).endswith("Success"):
        raise SystemExit(f"{path[0]} did not succeed, nothing was timed: {body}")
    copy: dict[str, Any] = json.loads(json.dumps(body))
    target = copy["data"]
    for step in path:
        target = target[step]
    for key in keys:
        target[key] = f"<{key}>"
    return copy


def post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/graphql", json=body)
    if response.status_code != 200:
        raise SystemExit(f"{response.request.url} answered {response.status_code}: {response.text}")
    result: dict[str, Any] = response.json()
    return result


def precheck(url: str, plan: Plan, ours: str, theirs: str, names: Sequence[str]) -> None:
    """Every canonical request, on a sample of its variables, to both servers: same data."""
    headers = staff_headers()
    with (
        httpx.Client(base_url=ours, headers=headers, timeout=60) as a,
        httpx.Client(base_url=theirs, headers=headers, timeout=60) as b,
    ):
        for name in names:
            if name in ("Q1", "Q2", "Q3", "Q6"):
                samples = [plan.body(name, k * 37) for k in range(SAMPLE if name == "Q1" else 1)]
                if name == "Q1":  # an id of no product: null on both sides
                    unknown = to_global_id("Product", UUID(int=7))
                    samples.append({"query": floor_requests.Q1, "variables": {"id": unknown}})
                for body in samples:
                    check_same(f"{name} {body.get('variables', {})}", post(a, body), post(b, body))
            elif name == "Q4":
                precheck_update(url, plan, a, b)
            elif name == "Q5":
                precheck_order(url, plan, a, b)
            print(f"  {name}: ours and the floor give the same data", file=sys.stderr)


def precheck_update(url: str, plan: Plan, a: httpx.Client, b: httpx.Client) -> None:
    """A stale rev must give the same ConflictError; a current one the same success, but for
    what two writes in a row must change (rev, updatedAt), each checked with the database."""
    for id, rev, price in asyncio.run(product_revs(url, plan.q4_ids[:3])):
        gid = to_global_id("Product", id)
        stale = update_body(gid, rev + 7, price)
        check_same("Q4 at a stale rev", post(a, stale), post(b, stale))
        first = post(a, update_body(gid, rev, price))
        second = post(b, update_body(gid, rev + 1, price))
        path, keys = ("updateProduct", "product"), ("rev", "updatedAt")
        check_same("Q4 at the current rev", masked(first, path, keys), masked(second, path, keys))
        now = asyncio.run(fetch_row(url, "SELECT rev, updated_at FROM products WHERE id = $1", id))
        for body, expected_rev in ((first, rev + 1), (second, rev + 2)):
            product = body["data"]["updateProduct"]["product"]
            stamp = product["updatedAt"]
            if (
                product["rev"] != expected_rev
                or datetime.datetime.fromisoformat(stamp).isoformat() != stamp
            ):
                raise SystemExit(f"Q4: unexpected rev or updatedAt in {body}")
        if second["data"]["updateProduct"]["product"]["updatedAt"] != now[1].isoformat():
            raise SystemExit(f"Q4: the floor's updatedAt is not the database's {now[1]}")
        if now[0] != rev + 2:
            raise SystemExit(f"Q4: two writes took the rev from {rev} to {now[0]}")


def precheck_order(url: str, plan: Plan, a: httpx.Client, b: httpx.Client) -> None:
    """The same order placed on each side: the same data but for the new order's id and
    number, each checked with the database."""
    for k in range(3):
        body = plan.body("Q5", k)
        first, second = post(a, body), post(b, body)
        path, keys = ("placeOrder", "order"), ("id", "number")
        check_same("Q5", masked(first, path, keys), masked(second, path, keys))
        for placed in (first, second):
            order = placed["data"]["placeOrder"]["order"]
            number = asyncio.run(
                fetch_value(
                    url,
                    "SELECT number FROM orders WHERE id = $1 AND customer_id = $2",
                    uuid_of(order["id"], type_name="Order"),
                    plan.customer,
                )
            )
            if number != order["number"]:
                raise SystemExit(f"Q5: order {order} is not in the database as answered")
