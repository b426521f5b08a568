"""The ledger's activity against a PostgreSQL server that goes down: a retryable error,
then the row once the server is back; nothing lost."""

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.ledger import LedgerActivities
from dunning.contract.enums import CaseKind
from dunning.providers.ledger import LedgerEntry
from harness.postgres import postgres_server, server_binary
from ledger.store import Ledger

ENTRY = LedgerEntry(
    workflow_id="dunning-in_down",
    run_id="r1",
    kind=CaseKind.DUNNING,
    customer_id="cus_1",
    invoice_id="in_down",
    currency="usd",
    amount_due=1200,
    opened_at=datetime(2026, 3, 1, tzinfo=UTC),
)


def test_a_database_that_is_down_is_retried_and_loses_nothing() -> None:
    if server_binary("pg_ctl") is None:
        pytest.skip("PostgreSQL's server is not installed (.ci/run installs `postgresql`)")
    folder = Path(tempfile.mkdtemp(prefix="dunning-pg-"))
    try:
        with postgres_server(folder) as server:
            ledger = LedgerActivities(server.url)
            ledger.write(ENTRY)  # migrates, and writes the opening
            server.stop()
            closed = ENTRY.model_copy(
                update={"closed_at": datetime(2026, 3, 9, tzinfo=UTC), "outcome": "recovered"}
            )
            with pytest.raises(ApplicationError) as refused:
                ledger.write(closed)
            assert not refused.value.non_retryable and "ledger unavailable" in str(refused.value)
            server.start()
            ledger.write(closed)  # Temporal's retry, once the server is back
            [row] = Ledger.at(server.url).entries()
            assert (row.outcome, row.opened_at) == ("recovered", ENTRY.opened_at)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
