"""The ledger's databases: SQLite in a file, and a real PostgreSQL server."""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from harness.postgres import postgres_server, server_binary
from ledger.store import engine_for


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL cluster for the session (in a folder its server user may enter)."""
    if server_binary("initdb") is None:
        pytest.skip("PostgreSQL's server is not installed (.ci/run installs `postgresql`)")
    folder = Path(tempfile.mkdtemp(prefix="dunning-pg-"))
    try:
        with postgres_server(folder) as server:
            yield server.url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    server: str = request.getfixturevalue("postgres")
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    engine = engine_for(server)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"
