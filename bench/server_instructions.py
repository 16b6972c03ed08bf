"""Instructions per answer of the whole server: `storefront serve` with one worker under
`valgrind --tool=callgrind`, answering over real sockets through uvicorn, with what the
idle server spends in as long a stretch taken off.

    python bench/server_instructions.py Q1                 # M instructions per answer
    python bench/server_instructions.py Q1 --checkout ../other --env STOREFRONT_X=1

After a warm-up, callgrind counts an idle stretch (timers and housekeeping, which would
otherwise land on whichever requests a window holds) and then a window of `--requests`
answers sent by `--concurrency` kept-alive clients with a staff token; the figure is the
window's count less the idle rate times the window's length, over the answers. The bench's
`bench/instructions.py` counts the app alone in one process, without an HTTP server.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import database, prepare, serve, staff_headers, stop  # noqa: E402
from bench.instructions import tool, total  # noqa: E402
from bench.plan import make_plan  # noqa: E402

WARM_UP = 60


def venv(checkout: Path) -> Path:
    """The checkout's own environment, else this one's (its code then comes by PYTHONPATH)."""
    own = checkout / ".venv"
    return own if (own / "bin" / "storefront").exists() else ROOT / ".venv"


def dump(pid: int) -> None:
    """Writes the counts since the last dump (or zeroing) to a file of their own."""
    subprocess.run([tool("callgrind_control"), "-d", str(pid)], check=True, capture_output=True)


async def answers(base: str, bodies: list[dict[str, Any]], count: int, clients: int) -> None:
    headers = staff_headers()
    sent = iter(range(count))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as http:
            for k in sent:
                response = await http.post("/graphql", json=bodies[k % len(bodies)])
                if response.status_code != 200 or b'"errors"' in response.content:
                    raise SystemExit(f"not an answer: {response.status_code} {response.text}")

    await asyncio.gather(*(client() for _ in range(clients)))


def counted(url: str, bodies: list[dict[str, Any]], args: argparse.Namespace) -> float:
    checkout = Path(args.checkout or ROOT).resolve()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            tool("valgrind"), "-q", "--tool=callgrind", f"--callgrind-out-file={out}",
            str(venv(checkout) / "bin" / "storefront"), "serve",
        ]  # fmt: skip
        environment = {
            "STOREFRONT_REQUEST_TIMEOUT": "600",
            "STOREFRONT_POOL_ACQUIRE_TIMEOUT": "600",
            "STOREFRONT_DATA_DIR": scratch,
            "PYTHONPATH": str(checkout),
            **dict(item.split("=", 1) for item in args.env),
        }
        process, base = serve(url, command=command, env=environment, ready_timeout=900)
        try:
            asyncio.run(answers(base, bodies, WARM_UP, args.concurrency))
            dump(process.pid)  # everything up to here, not counted
            time.sleep(args.idle)
            dump(process.pid)
            started = time.monotonic()
            asyncio.run(answers(base, bodies, args.requests, args.concurrency))
            window = time.monotonic() - started
            dump(process.pid)
            idle, busy = total(Path(f"{out}.2")), total(Path(f"{out}.3"))
        finally:
            stop(process)
    idle_rate: float = idle / args.idle
    requests: int = args.requests
    return (busy - idle_rate * window) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=["Q1"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle counted")
    parser.add_argument("--checkout", help="serve this checkout's code (and its .venv)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    if malformed := [item for item in args.env if "=" not in item]:
        parser.error(f"--env takes NAME=VALUE, not {', '.join(malformed)}")
    with database() as url:
        asyncio.run(prepare(url))
        plan = asyncio.run(make_plan(url))
        for name in args.names:
            bodies = [plan.body(name, k) for k in range(100)]
            per_answer = counted(url, bodies, args)
            print(f"{name}: {per_answer / 1e6:.3f} M instructions per answer", flush=True)


if __name__ == "__main__":
    main()
