"""Instructions per answer of the app in one process: requests through httpx over ASGI on
asyncio's loop (no HTTP server), a staff token, the bench's bodies, counted by
`valgrind --tool=callgrind`, which stays repeatable on a loaded machine.

    python bench/instructions.py Q1 Q2 Q3              # M instructions per answer
    python bench/instructions.py Q2 --annotate 30      # and the top functions (C level)
    python bench/instructions.py Q2 --profile 40       # cProfile instead (Python level)
    python bench/instructions.py Q2 --checkout ../other  # another checkout's code, same run
    python bench/instructions.py Q2 --uvloop           # on uvloop, as the server runs
    python bench/instructions.py "hostile:30 fields"   # a hostile document inside the limits

Each request runs under callgrind in a process of its own: after a warm-up, a window of
`--small` answers and one of `--large` are dumped (`callgrind_control`); their difference
over the difference of their sizes is the figure, so start-up, warm-up and the dumps
cancel. The database is the bench's (`DATABASE_URL`, or the embedded one). A name
`hostile:TEXT` takes the document of `bench/hostile_documents.INSIDE` whose label holds TEXT,
a new variant per request, sent as `bench/hostile.py` sends it (its answer may be errors).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# A checkout's code is measured with this script's environment: its root goes first.
ROOT = Path(os.environ.get("BENCH_CHECKOUT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

import uvloop  # noqa: E402

from bench.common import database, prepare  # noqa: E402
from bench.plan import make_plan  # noqa: E402
from bench.statements import in_process  # noqa: E402

WARM_UP = 20


def app(url: str) -> Any:
    from server.app import create_app
    from server.settings import Settings

    # Under callgrind a request runs far slower than natively: no timeout may end it.
    return create_app(Settings(database_url=url, request_timeout=600, pool_acquire_timeout=600))


async def answers(client: Any, bodies: list[dict[str, Any]], start: int, count: int) -> None:
    for k in range(start, start + count):
        response = await client.post("/graphql", json=bodies[k % len(bodies)])
        # Not parsed: the client's own decoding would be counted with the app's.
        erring = b'"errors"' in response.content and not bodies[0].get("errors_expected")
        if response.status_code != 200 or erring:
            raise SystemExit(f"not an answer: {response.status_code} {response.text[:300]}")


def hostile_bodies(text: str, count: int) -> list[dict[str, Any]]:
    from bench.hostile import VARIABLES
    from bench.hostile_documents import INSIDE, OPERATION_NAMES

    label = next(label for label in INSIDE if text in label)
    bodies: list[dict[str, Any]] = [
        {"query": INSIDE[label](k), "variables": VARIABLES} for k in range(count)
    ]
    for body in bodies:
        if label in OPERATION_NAMES:
            body["operationName"] = OPERATION_NAMES[label]
    bodies[0]["errors_expected"] = True  # an extra member of the body, which the app ignores
    return bodies


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (valgrind's tools)")
    return found


def control(*args: str) -> None:
    subprocess.run(
        [tool("callgrind_control"), *args, str(os.getpid())], check=True, capture_output=True
    )


async def drive(url: str, bodies: list[dict[str, Any]], small: int, large: int) -> None:
    """The child under callgrind: warm up, the two dumped windows, then a third window
    that the dump at exit holds alone (instrumentation off after it), for annotating:
    functions' costs are attributed well only in a dump at exit."""
    async with in_process(app(url)) as client:
        await answers(client, bodies, 0, WARM_UP)
        control("-z")
        await answers(client, bodies, WARM_UP, small)
        control("-d", "small")
        await answers(client, bodies, WARM_UP + small, large)
        control("-d", "large")
        await answers(client, bodies, WARM_UP + small + large, large)
        control("--instr=off")


async def profile(url: str, bodies: list[dict[str, Any]], count: int, top: int) -> None:
    async with in_process(app(url)) as client:
        await answers(client, bodies, 0, WARM_UP)
        profiler = cProfile.Profile()
        profiler.enable()
        await answers(client, bodies, WARM_UP, count)
        profiler.disable()
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(top)


def total(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"no summary in {path}")


def counted(url: str, name: str, bodies: list[dict[str, Any]], args: argparse.Namespace) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        body_file = Path(scratch) / "bodies.json"
        body_file.write_text(json.dumps(bodies))
        out = Path(scratch) / "callgrind.out"
        command = [
            tool("valgrind"), "-q", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, __file__, "--drive", str(body_file), "--url", url,
            "--small", str(args.small), "--large", str(args.large),
            *(["--uvloop"] if args.uvloop else []),
        ]  # fmt: skip
        environment = {**os.environ, "BENCH_CHECKOUT": str(Path(args.checkout or ROOT).resolve())}
        subprocess.run(command, check=True, env=environment)
        small, large = total(Path(f"{out}.1")), total(Path(f"{out}.2"))
        if args.annotate:
            annotated = subprocess.run(
                [tool("callgrind_annotate"), str(out)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            lines = annotated.stdout.splitlines()
            start = next(i for i, line in enumerate(lines) if "file:function" in line)
            print(f"-- {name}, window of {args.large} answers, self cost:")
            print("\n".join(lines[start : start + args.annotate + 2]))
        windows: int = args.large - args.small
        return (large - small) / windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=["Q1", "Q2", "Q3"])
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--large", type=int, default=30)
    parser.add_argument("--annotate", type=int, default=0, metavar="TOP")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP")
    parser.add_argument("--checkout", help="measure this checkout's code instead")
    parser.add_argument("--uvloop", action="store_true", help="uvloop, not asyncio's own loop")
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 <= args.small < args.large:
        # The figure is over the difference of the two windows.
        parser.error("--small must be less than --large")
    if args.profile and args.checkout:
        parser.error("--profile runs this checkout's code in this process; not with --checkout")
    if args.drive:
        bodies = json.loads(Path(args.drive).read_text())
        run = uvloop.run if args.uvloop else asyncio.run
        run(drive(args.url, bodies, args.small, args.large))
        return
    with database() as url:
        asyncio.run(prepare(url))
        plan = asyncio.run(make_plan(url))
        for name in args.names:
            if name.startswith("hostile:"):
                bodies = hostile_bodies(name.removeprefix("hostile:"), WARM_UP + 3 * args.large)
            else:
                bodies = [plan.body(name, k) for k in range(100)]
            if args.profile:
                asyncio.run(profile(url, bodies, args.large, args.profile))
                continue
            per_answer = counted(url, name, bodies, args)
            print(f"{name}: {per_answer / 1e6:.2f} M instructions per answer", flush=True)


if __name__ == "__main__":
    main()
