"""The case ledger: rows written when a case opens and closes. A database that is down
is an outage like any provider's: the activity retries until it answers, and no row is
lost."""

import threading

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity

from activities.errors import provider_error
from dunning.providers.ledger import LedgerEntry
from ledger.store import Ledger


class LedgerActivities:
    """Writes the ledger at `url`, migrating its schema on first use."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()

    def write(self, entry: LedgerEntry) -> None:
        """Write a case's row (idempotent); a database error is retried by Temporal."""
        try:
            self._open().record(entry)
        except SQLAlchemyError as err:
            raise provider_error("ledger", None, f"the ledger database: {err}") from err

    @activity.defn
    def record_case(self, entry: LedgerEntry) -> None:
        """Record a case (or a watch) opening or closing."""
        self.write(entry)

    def _open(self) -> Ledger:
        with self._lock:
            if self._ledger is None:
                self._ledger = Ledger.at(self._url)
            return self._ledger
