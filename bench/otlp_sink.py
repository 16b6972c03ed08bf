"""An OTLP/HTTP receiver that takes every export and keeps nothing, to time tracing.

    .venv/bin/python bench/otlp_sink.py [--port 4318] &
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 make bench BENCH_ARGS="--only Q1,Q2"

The server exports its spans as it would to a collector (encoded, batched, sent over
loopback); the sink answers 200 and, on SIGINT or SIGTERM, prints how many exports and
bytes it took.
"""

from __future__ import annotations

import argparse
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType


class _Sink(BaseHTTPRequestHandler):
    exports = 0
    received = 0
    kept: list[bytes] | None = None

    def do_POST(self) -> None:
        size = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(size)
        type(self).exports += 1
        type(self).received += size
        if self.kept is not None and self.path == "/v1/traces":
            self.kept.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def receiver(
    port: int, *, keep: list[bytes] | None = None
) -> tuple[ThreadingHTTPServer, type[_Sink]]:
    """A sink on 127.0.0.1:`port` (0: any free port), and its handler, which counts;
    `keep` collects the trace exports."""
    handler = type("Sink", (_Sink,), {"kept": keep, "exports": 0, "received": 0})
    return ThreadingHTTPServer(("127.0.0.1", port), handler), handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=4318, help="port on 127.0.0.1 (4318)")
    args = parser.parse_args()
    server, handler = receiver(args.port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        print(f"otlp sink: {handler.exports} exports, {handler.received} bytes", file=sys.stderr)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
