"""The facts a case is classified from: the CRM account and the Stripe invoice, in one
activity, because each activity is a billed action and the two reads always go together."""

from collections.abc import Callable
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.crm import CrmActivities
from activities.payments import PaymentActivities
from dunning.providers.facts import CaseFacts, FactsRequest

T = TypeVar("T")


class FactActivities:
    """Reads a case's facts through the CRM and payment activities."""

    def __init__(self, crm: CrmActivities, payments: PaymentActivities) -> None:
        self._crm = crm
        self._payments = payments

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
        return CaseFacts(account=account, invoice=invoice, refusals=refusals)


def _unless_refused(read: Callable[[], T], what: str, refusals: list[str]) -> T | None:
    try:
        return read()
    except ApplicationError as err:
        if not err.non_retryable:
            raise
        refusals.append(f"{what}: {err}")
        return None
