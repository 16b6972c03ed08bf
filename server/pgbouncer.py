"""A PgBouncer in transaction mode on loopback, in front of a PostgreSQL, for the tests and
the benchmark (nothing here runs in production): the program `PGBOUNCER` names, else
`pgbouncer` on the PATH (Debian's package).

A PgBouncer that can keep prepared statements (1.21 and later) is started with
`max_prepared_statements` and its clients are told to name theirs (`PgBouncer.env`); an
older one gets unnamed statements (`sql.unnamed`).

Every database name is passed through to the same server (`*` in `[databases]`), logging in
as the URL's user, so a client may name any database the server has. PgBouncer refuses to run
as root; as root it switches to the unprivileged `nobody` after reading its configuration.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from server.embedded import free_port

STARTUP_SECONDS = 15
KEEPS_PREPARED = (1, 21)  # the first PgBouncer with max_prepared_statements
MAX_PREPARED_STATEMENTS = 200  # per server connection; ours are a few dozen


class PgBouncerError(RuntimeError):
    pass


@dataclass(frozen=True)
class PgBouncer:
    """A running PgBouncer: `url` is the server URL with PgBouncer's address."""

    url: str
    pid: int
    version: tuple[int, ...]
    named: bool
    """It keeps prepared statements, so its clients name theirs."""

    @property
    def label(self) -> str:
        return f"PgBouncer {'.'.join(map(str, self.version))} {self.statements}"

    @property
    def statements(self) -> str:
        return "named" if self.named else "unnamed"

    def env(self) -> dict[str, str]:
        """The server's settings for this PgBouncer (see README, Scaling out)."""
        return {
            "STOREFRONT_POOLER_MODE": "transaction",
            "STOREFRONT_POOLER_PREPARED_STATEMENTS": "true" if self.named else "false",
        }


def executable() -> str | None:
    """`PGBOUNCER`, else Debian's, in /usr/sbin, which is not on every user's PATH."""
    if chosen := os.environ.get("PGBOUNCER"):
        # Named and missing is a mistake to report, not a reason to run another one.
        if (found := shutil.which(chosen)) is None:
            raise PgBouncerError(f"PGBOUNCER={chosen} names no program that can run")
        return found
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


def version(program: str) -> tuple[int, ...]:
    """From the first line of `pgbouncer --version` ("PgBouncer 1.18.0")."""
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise PgBouncerError(f"{program} --version: {error}") from None
    found = re.match(r"PgBouncer (\d+(?:\.\d+)*)", out.stdout)
    if found is None:
        raise PgBouncerError(f"{program} --version: {out.stdout[:200]!r}")
    return tuple(int(part) for part in found[1].split("."))


def keeps_prepared(release: tuple[int, ...], named: bool | None = None) -> bool:
    """Whether a PgBouncer of `release` is started keeping prepared statements: `named`,
    by default when its version can."""
    if named is None:
        return release >= KEEPS_PREPARED
    if named and release < KEEPS_PREPARED:
        raise PgBouncerError(f"PgBouncer {release} cannot keep prepared statements")
    return named


def config(server_url: str, *, port: int, pool_size: int = 20, named: bool = False) -> str:
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
    if named:
        lines.append(f"max_prepared_statements = {MAX_PREPARED_STATEMENTS}")
    if os.geteuid() == 0:
        lines.append("user = nobody")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def pgbouncer(
    server_url: str,
    workdir: Path,
    *,
    pool_size: int = 20,
    program: str | None = None,
    named: bool | None = None,
) -> Iterator[PgBouncer]:
    """Runs PgBouncer (`program`, default `executable()`) until the block ends. `named`:
    whether it keeps prepared statements; by default, when its version can."""
    program = program or executable()
    if program is None:
        raise PgBouncerError("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    release = version(program)
    named = keeps_prepared(release, named)
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    ini = workdir / "pgbouncer.ini"
    ini.write_text(config(server_url, port=port, pool_size=pool_size, named=named))
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
        url = urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
        yield PgBouncer(url=url, pid=process.pid, version=release, named=named)
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
