"""A PgBouncer in transaction mode on loopback, in front of a PostgreSQL, for the tests and
the benchmark (Debian's `pgbouncer` package; nothing here runs in production).

Every database name is passed through to the same server (`*` in `[databases]`), logging in
as the URL's user, so a client may name any database the server has. PgBouncer refuses to run
as root; as root it switches to the unprivileged `nobody` after reading its configuration.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from server.embedded import free_port

STARTUP_SECONDS = 15


class PgBouncerError(RuntimeError):
    pass


def executable() -> str | None:
    """Debian installs it in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


def config(server_url: str, *, port: int, pool_size: int = 20) -> str:
    """The `pgbouncer.ini` that works with our transaction mode (see README, Scaling out)."""
    server = urlsplit(server_url)
    target = f"host={server.hostname or '127.0.0.1'} port={server.port or 5432}"
    target += f" user={server.username or 'postgres'}"
    if server.password:
        target += f" password={server.password}"
    lines = [
        "[databases]",
        f"* = {target}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = any",
        "pool_mode = transaction",
        f"default_pool_size = {pool_size}",
        "max_client_conn = 1000",
        "server_reset_query =",
        "ignore_startup_parameters = extra_float_digits",
        "log_connections = 0",
        "log_disconnections = 0",
    ]
    if os.geteuid() == 0:
        lines.append("user = nobody")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def pgbouncer(server_url: str, workdir: Path, *, pool_size: int = 20) -> Iterator[str]:
    """Runs PgBouncer until the block ends; yields `server_url` with PgBouncer's address."""
    program = executable()
    if program is None:
        raise PgBouncerError("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    ini = workdir / "pgbouncer.ini"
    ini.write_text(config(server_url, port=port, pool_size=pool_size))
    log_path = workdir / "pgbouncer.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [program, str(ini)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
        )
    try:
        _wait_for_port(process, port, log_path)
        parts = urlsplit(server_url)
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{port}"
        yield urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PgBouncerError(f"pgbouncer exited: {log_path.read_text(errors='replace')}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    process.kill()
    raise PgBouncerError(f"pgbouncer did not listen within {STARTUP_SECONDS}s")
