"""The ledger's reads and writes. Every write is idempotent per (workflow, first run): an
activity retried after a timeout, or replayed by another worker, writes the same row."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dunning.contract.status import DunningStatus
from dunning.providers.ledger import LedgerEntry
from ledger.tables import CaseRow

MIGRATIONS = Path(__file__).parent / "migrations"
CLOSING_FIELDS = (
    "closed_at",
    "outcome",
    "resolution",
    "end_action",
    "amount_recovered",
    "amount_credited",
    "attempts",
    "emails",
    "routes",
    "history_events",
    "customer_tier",
    "category",
    "status",
)
"""What a case's close adds to the row its opening wrote."""


def engine_for(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; a SQLite file's folder is created."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to `revision` (an empty database, or an older ledger)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class Ledger:
    """The cases, in the database at `engine`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def at(cls, url: str) -> "Ledger":
        """The ledger at a URL, its schema brought up to date."""
        engine = engine_for(url)
        migrate(engine)
        return cls(engine)

    def record(self, entry: LedgerEntry) -> None:
        """Write the case's row: the opening creates it, the close completes it; the same
        write twice changes nothing, and an opening that comes after the close (a retry)
        never undoes it."""
        fields = entry.model_dump(exclude={"status"})
        fields["status"] = entry.status.model_dump_json() if entry.status else None
        for _ in range(2):  # a concurrent first write wins; this one then updates it
            try:
                with Session(self._engine) as session, session.begin():
                    row = session.get(CaseRow, (entry.workflow_id, entry.run_id))
                    if row is None:
                        session.add(CaseRow(**fields))
                    elif entry.closed_at is not None:
                        for name in CLOSING_FIELDS:
                            setattr(row, name, fields[name])
                return
            except IntegrityError:
                continue
        raise RuntimeError(f"ledger row of {entry.workflow_id} could not be written")

    def entries(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
    ) -> list[LedgerEntry]:
        """The cases opened in [since, until), oldest first."""
        query = select(CaseRow).order_by(CaseRow.opened_at, CaseRow.workflow_id)
        if since is not None:
            query = query.where(CaseRow.opened_at >= since)
        if until is not None:
            query = query.where(CaseRow.opened_at < until)
        if kind is not None:
            query = query.where(CaseRow.kind == kind)
        with self._session() as session:
            return [_entry(row) for row in session.scalars(query)]

    def closed_cases(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[LedgerEntry]:
        """The dunning cases that closed in [since, until), with their whole status."""
        query = select(CaseRow).where(CaseRow.kind == "dunning", CaseRow.status.is_not(None))
        if since is not None:
            query = query.where(CaseRow.closed_at >= since)
        if until is not None:
            query = query.where(CaseRow.closed_at < until)
        with self._session() as session:
            return [_entry(row) for row in session.scalars(query.order_by(CaseRow.closed_at))]

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self._engine) as session:
            yield session


def _entry(row: CaseRow) -> LedgerEntry:
    values = {column: getattr(row, column) for column in LedgerEntry.model_fields}
    values["status"] = DunningStatus.model_validate_json(row.status) if row.status else None
    for moment in ("opened_at", "due_at", "closed_at", "failed_at"):  # SQLite: no time zone
        value = values[moment]
        if isinstance(value, datetime) and value.tzinfo is None:
            values[moment] = value.replace(tzinfo=UTC)
    return LedgerEntry.model_validate(values)
