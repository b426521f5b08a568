"""The facts a case is classified from: the CRM account and the Stripe invoice, in one
activity, because each activity is a billed action and the two reads always go together.
On a case's first read the same activity takes the invoice over from Stripe's automatic
collection, so one system alone duns it, and records the case's opening in the ledger."""

from collections.abc import Callable
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.crm import CrmActivities
from activities.ledger import LedgerActivities
from activities.payments import PaymentActivities
from dunning.providers.facts import CaseFacts, FactsRequest

T = TypeVar("T")


class FactActivities:
    """Reads a case's facts through the CRM and payment activities."""

    def __init__(
        self, crm: CrmActivities, payments: PaymentActivities, ledger: LedgerActivities | None
    ) -> None:
        self._crm = crm
        self._payments = payments
        self._ledger = ledger

    @activity.defn
    def read_case_facts(self, request: FactsRequest) -> CaseFacts:
        """The account and the invoice. A permanent refusal of one read is reported and the
        other fact still returned; a transient failure of either retries the activity."""
        refusals: list[str] = []
        account = _unless_refused(
            lambda: self._crm.lookup_account(request.customer_id), "look up the account", refusals
        )
        invoice = _unless_refused(
            lambda: self._payments.read_invoice(request.invoice_id), "read the invoice", refusals
        )
        taken_over = None
        if request.take_over_collection and invoice is not None and not invoice.is_settled:
            taken_over = _unless_refused(
                lambda: self._payments.take_over_collection(request.invoice_id, invoice),
                "turn off Stripe's automatic collection",
                refusals,
            )
        if request.opening is not None and self._ledger is not None:
            self._ledger.write(request.opening)
        return CaseFacts(
            account=account,
            invoice=invoice,
            refusals=refusals,
            collection_taken_over=taken_over,
        )


def _unless_refused(read: Callable[[], T], what: str, refusals: list[str]) -> T | None:
    try:
        return read()
    except ApplicationError as err:
        if not err.non_retryable:
            raise
        refusals.append(f"{what}: {err}")
        return None
