"""A real PostgreSQL server for the suite, from Debian's `postgresql` package: a throwaway
cluster in a temporary folder, on a free port, trusting local connections."""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def postgres_server(folder: Path) -> Iterator[str]:
    """Run a cluster in `folder` until the block ends; yields its SQLAlchemy URL. PostgreSQL
    refuses to run as root, so as root the cluster runs as the `postgres` user, who must be
    able to reach `folder` (under /tmp, not under a private folder)."""
    initdb, pg_ctl = server_binary("initdb"), server_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL's server is not installed (Debian: apt install postgresql)")
    data, port = folder / "data", free_port()
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder.mkdir(parents=True, exist_ok=True)
    if as_user:
        shutil.chown(folder, "postgres")
    run = [*as_user, initdb, "-D", str(data), "-U", "dunning", "--auth=trust", "-E", "UTF8"]
    subprocess.run(run, check=True, capture_output=True)
    options = f"-p {port} -h 127.0.0.1 -k {folder}"
    start = [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w"]
    subprocess.run([*start, "start"], check=True, capture_output=True)
    try:
        url = f"postgresql+pg8000://dunning@127.0.0.1:{port}/postgres"
        yield url
    finally:
        stop = [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(stop, check=False, capture_output=True)
        time.sleep(0.1)
