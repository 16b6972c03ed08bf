"""wrk and its Lua scripts: every request's bodies prepared once per run, Q4's revs
counted up per thread, the results written as one JSON line the harness reads.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.plan import update_body
from engine.node_ids import to_global_id

WRK = shutil.which("wrk")


LUA_COMMON = """
local headers = {["Content-Type"] = "application/json"%(auth)s}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"mean_us\\": %%.1f, \\"max_us\\": %%d, \\"connect\\": %%d, " ..
    "\\"read\\": %%d, \\"write\\": %%d, \\"status\\": %%d, \\"timeout\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

# Reads and placeOrder: each thread cycles through prepared requests; placeOrder's are
# split between threads so that no two threads order the same products at once.
LUA_BODIES = """
local bodies = {
%(bodies)s
}
local partition = %(partition)s
local nthreads = %(threads)d
local requests = {}
local i = 0
function init(args)
  for k = 1, #bodies do
    if not partition or (k - 1) %% nthreads == tid then
      requests[#requests + 1] = wrk.format("POST", "/graphql", headers, bodies[k])
    end
  end
  i = partition and 0 or (tid * 7919) %% #requests
end
function request()
  i = i %% #requests + 1
  return requests[i]
end
"""

# updateProduct: each thread owns every nthreads-th product and sends its current rev,
# counting its own copy up as it goes. Before the run wrk asks the first thread's script for
# one request, to check it, and never sends it: that one must not count a rev up.
LUA_UPDATES = """
local products = {
%(products)s
}
local nthreads = %(threads)d
local mine = {}
local i = 0
local checking = false
function init(args)
  for k = 1, #products do
    if (k - 1) %% nthreads == tid then mine[#mine + 1] = products[k] end
  end
  checking = tid == 0
end
function request()
  local next = i %% #mine + 1
  local p = mine[next]
  local body = [==[%(head)s]==] .. p[1] .. [==[%(after_id)s]==] .. p[2] ..
    [==[%(after_rev)s]==] .. p[3] .. [==[%(tail)s]==]
  if checking then
    checking = false
  else
    i = next
    p[2] = p[2] + 1
  end
  return wrk.format("POST", "/graphql", headers, body)
end
"""


def long_string(text: str) -> str:
    if "]==]" in text:
        raise ValueError("a body that Lua's long brackets cannot hold")
    return f"[==[{text}]==]"


def authorization(token: str | None) -> str:
    return f', ["Authorization"] = "Bearer {token}"' if token else ""


def body_script(
    bodies: Sequence[dict[str, Any]], *, threads: int, partition: bool, token: str | None
) -> str:
    return (LUA_COMMON + LUA_BODIES) % {
        "auth": authorization(token),
        "bodies": ",\n".join(long_string(json.dumps(body)) for body in bodies),
        "partition": "true" if partition else "false",
        "threads": threads,
    }


def update_script(products: Sequence[tuple[UUID, int, str]], *, threads: int, token: str) -> str:
    # The body as JSON around three holes, which the script fills for each request.
    text = json.dumps(update_body("@ID@", 987654321, "@PRICE@"))
    head, rest = text.split("@ID@")
    after_id, rest = rest.split("987654321")
    after_rev, tail = rest.split("@PRICE@")
    rows = ",\n".join(
        f'{{"{to_global_id("Product", id)}", {rev}, "{price}"}}' for id, rev, price in products
    )
    return (LUA_COMMON + LUA_UPDATES) % {
        "auth": authorization(token),
        "products": rows,
        "threads": threads,
        "head": head,
        "after_id": after_id,
        "after_rev": after_rev,
        "tail": tail,
    }


def wrk(
    base: str, script: Path, *, connections: int, threads: int, seconds: float, timeout: float
) -> dict[str, Any]:
    if WRK is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian package)")
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(script),
        base + "/graphql",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            return result
    raise SystemExit(f"wrk gave no result ({done.returncode}):\n{done.stdout}\n{done.stderr}")
