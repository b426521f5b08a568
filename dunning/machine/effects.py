"""What a case asks of the world outside it: the `Effects` it runs, and the `Runtime`
that gives it time.

The workflow implements both with Temporal (activities, timers, signals); the property
tests and the backtest implement them in memory on a virtual clock. The case machine
(`dunning.machine.run`) is the same code in every one of them.
"""

from datetime import datetime
from typing import Protocol

from dunning.machine.decisions import Decision, Wait
from dunning.machine.state import CaseState
from dunning.providers.facts import CaseFacts, FactsRequest
from dunning.providers.ledger import LedgerEntry
from dunning.providers.requests import (
    ChargeRequest,
    ChargeResult,
    ContactUpdate,
    EmailReceipt,
    EmailRequest,
    InvoiceAction,
    PoUpdate,
    TaskReceipt,
    TaskRequest,
)


class ProviderRefused(Exception):
    """A provider refused a request for good; the message says which provider and why.

    Transient failures never reach the case: they are retried where the effect runs."""


class Effects(Protocol):
    """One method per provider activity, named as the activity. `summary` says what the
    call is for, for the people who read the case."""

    async def read_case_facts(self, request: FactsRequest, *, summary: str) -> CaseFacts:
        """The CRM account and the Stripe invoice."""
        ...

    async def charge_invoice(self, request: ChargeRequest, *, summary: str) -> ChargeResult:
        """One charge attempt; a decline is a result."""
        ...

    async def read_settlement(self, invoice_id: str, *, summary: str) -> ChargeResult:
        """Where the invoice's settling bank debit stands: still processing, paid, or
        returned (a decline with the bank's return code)."""
        ...

    async def send_email(self, request: EmailRequest, *, summary: str) -> EmailReceipt:
        """One customer email."""
        ...

    async def create_task(self, request: TaskRequest, *, summary: str) -> TaskReceipt:
        """One CRM task for the account owner."""
        ...

    async def apply_po_number(self, request: PoUpdate, *, summary: str) -> None:
        """Put a PO on the invoice (and re-send a sent invoice)."""
        ...

    async def update_billing_contact(self, request: ContactUpdate, *, summary: str) -> None:
        """Correct the billing contact in the CRM."""
        ...

    async def update_customer_email(self, request: ContactUpdate, *, summary: str) -> None:
        """Correct the billing email in Stripe."""
        ...

    async def resend_invoice(self, invoice_id: str, *, summary: str) -> None:
        """Send a `send_invoice` invoice again."""
        ...

    async def record_case(self, request: LedgerEntry, *, summary: str) -> None:
        """Write the case's row in the ledger."""
        ...

    async def apply_invoice_action(self, request: InvoiceAction, *, summary: str) -> None:
        """An end action, or an invoice recorded as paid outside Stripe."""
        ...


class Runtime(Protocol):
    """Time and visibility for a running case."""

    def now(self) -> datetime:
        """The current moment."""
        ...

    async def sleep(self, state: CaseState, wait: Wait) -> None:
        """Return at `wait.until`, or sooner when a message changes the case."""
        ...

    def published(self, state: CaseState, decision: Decision | None) -> None:
        """The case shows a new decision (None: it closed)."""
        ...

    def take_early(self, state: CaseState) -> bool:
        """Hand the case, once classified, the messages that arrived while it classified,
        before it decides anything; whether there were any."""
        ...
