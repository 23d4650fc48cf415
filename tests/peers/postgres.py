"""A private, throw-away PostgreSQL server that a test may stop and start again.

The machine's shared server (127.0.0.1:5432) must never be stopped: outage tests use one of
these instead. initdb refuses to run as root, so the cluster belongs to user `postgres`
(`runuser`); it listens on a free port of 127.0.0.1 with trust authentication and no fsync.
"""

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from ._proc import PeerError, free_port, make_peer_dir, remove_peer_dir, run, tail

SERVER_USER = "postgres"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return Path(found[-1]) if found else None


def available() -> bool:
    """True when Debian's PostgreSQL server binaries and the postgres user exist."""
    bin_dir = _bin_dir()
    if bin_dir is None or not os.access(bin_dir / "pg_ctl", os.X_OK):
        return False
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        return False
    return os.geteuid() != 0 or shutil.which("runuser") is not None


class PostgresInstance:
    """initdb + pg_ctl in a temp dir; stop() and start() again keep the data and the port."""

    def __init__(self, timeout: float = 60):
        self.timeout = timeout
        self.bin = _bin_dir()
        self.dir: Path | None = None
        self.port: int | None = None

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.dir / "data"

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        return self.dir / "server.log"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of *database* on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _as_server_user(self, *args) -> list[str]:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *command]
        return command

    def create(self) -> "PostgresInstance":
        """initdb a new cluster, start it and return self."""
        if self.bin is None:
            raise PeerError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.dir = make_peer_dir("postgres")
        if os.geteuid() == 0:
            shutil.chown(self.dir, user=SERVER_USER, group=SERVER_USER)
        self.port = free_port()
        init = run(
            self._as_server_user(
                self.bin / "initdb",
                "-D",
                self.data_dir,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),  # fmt: skip
            timeout=self.timeout,
        )
        if init.returncode != 0:
            self._fail(f"initdb failed:\n{init.stdout}{init.stderr}")
        return self.start()

    def start(self) -> "PostgresInstance":
        """Start the server (again) on the same port; return once it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.dir} -c fsync=off -c full_page_writes=off"
        )
        # pg_ctl's server keeps inherited descriptors: send them to a file, never a pipe.
        with open(self.dir / "pg_ctl.out", "ab") as out:
            started = subprocess.run(
                self._as_server_user(
                    self.bin / "pg_ctl",
                    "-D",
                    self.data_dir,
                    "-l",
                    self.log_path,
                    "-w",
                    "-t",
                    str(int(self.timeout)),
                    "-o",
                    options,
                    "start",
                ),  # fmt: skip
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                timeout=self.timeout + 10,
                check=False,
            )
        if started.returncode != 0:
            self._fail("pg_ctl start failed")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: end the sessions, like a restart by an administrator)."""
        if self.dir is None or not (self.data_dir / "postmaster.pid").exists():
            return
        run(
            self._as_server_user(
                self.bin / "pg_ctl", "-D", self.data_dir, "-m", mode, "-w", "stop"
            ),
            timeout=self.timeout,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run *sql* with psql over TCP and return its unaligned output."""
        result = run(
            [
                self.bin / "psql",
                "-h",
                "127.0.0.1",
                "-p",
                self.port,
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],  # fmt: skip
            timeout=self.timeout,
        )
        if result.returncode != 0:
            raise PeerError(f"psql failed: {result.stderr}")
        return result.stdout.strip()

    def destroy(self) -> None:
        """Stop the server and delete the cluster."""
        if self.dir is None:
            return
        self.stop(mode="immediate")
        remove_peer_dir(self.dir)
        self.dir = None

    def _fail(self, message: str):
        log = tail(self.log_path) + tail(self.dir / "pg_ctl.out") if self.dir else ""
        self.destroy()
        raise PeerError(f"{message}\n{log}")

    def __enter__(self) -> "PostgresInstance":
        return self.create()

    def __exit__(self, *exc) -> None:
        self.destroy()
