"""A real PostgreSQL server for the suite, from Debian's `postgresql` package: a throwaway
cluster in a temporary folder, on a free port, trusting local connections."""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import free_port

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
"""Debian installs each major version's server here (newest first)."""


def server_binary(name: str) -> str | None:
    """A PostgreSQL server program (`initdb`, `pg_ctl`), if one is installed."""
    for folder in BINARIES:
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


@dataclass
class PostgresServer:
    """A running cluster: its URL, and a way to stop and start it again on the same port."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        """Its SQLAlchemy URL (the `postgres` database, user `dunning`)."""
        return f"postgresql+pg8000://dunning@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start it (again)."""
        options = f"-p {self.port} -h 127.0.0.1 -k {self.folder}"
        log = str(self.folder / "log")
        self._pg_ctl("-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop it at once."""
        self._pg_ctl("-m", "immediate", "-w", "stop")

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = server_binary("pg_ctl")
        assert pg_ctl is not None
        command = [*_as_server_user(), pg_ctl, "-D", str(self.folder / "data"), *args]
        subprocess.run(command, check=True, capture_output=True)


@contextmanager
def postgres_server(folder: Path) -> Iterator[PostgresServer]:
    """Run a cluster in `folder` until the block ends. PostgreSQL refuses to run as root,
    so as root the cluster runs as the `postgres` user, who must be able to reach `folder`
    (under /tmp, not under a private folder)."""
    initdb = server_binary("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's server is not installed (Debian: apt install postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    init = [*_as_server_user(), initdb, "-D", str(folder / "data"), "-U", "dunning"]
    subprocess.run([*init, "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    server = PostgresServer(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()


def _as_server_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
