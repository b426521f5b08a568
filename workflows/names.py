"""The contract's Temporal names, shared by the worker, the starter and the tests."""

from typing import Final

from pydantic import BaseModel

from dunning.messages import (
    BillingContactCorrected,
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    PoNumberProvided,
)

DEFAULT_TASK_QUEUE: Final = "dunning"
WORKFLOW_TYPE: Final = "DunningWorkflow"
STATUS_QUERY: Final = "status"


class Signals:
    """Signal names of the contract."""

    PAYMENT_METHOD_UPDATED: Final = "payment_method_updated"
    INVOICE_PAID: Final = "invoice_paid"
    PO_NUMBER_PROVIDED: Final = "po_number_provided"
    BILLING_CONTACT_CORRECTED: Final = "billing_contact_corrected"
    OPERATOR_DECISION: Final = "operator_decision"


class Updates:
    """Update names of the contract."""

    PROVIDE_PO_NUMBER: Final = "provide_po_number"
    CORRECT_BILLING_CONTACT: Final = "correct_billing_contact"
    DECIDE: Final = "decide"


SIGNAL_PAYLOADS: dict[str, type[BaseModel]] = {
    Signals.PAYMENT_METHOD_UPDATED: PaymentMethodUpdated,
    Signals.INVOICE_PAID: InvoicePaid,
    Signals.PO_NUMBER_PROVIDED: PoNumberProvided,
    Signals.BILLING_CONTACT_CORRECTED: BillingContactCorrected,
    Signals.OPERATOR_DECISION: OperatorDecision,
}
"""The payload model of each signal."""

UPDATE_PAYLOADS: dict[str, type[BaseModel]] = {
    Updates.PROVIDE_PO_NUMBER: PoNumberProvided,
    Updates.CORRECT_BILLING_CONTACT: BillingContactCorrected,
    Updates.DECIDE: OperatorDecision,
}
"""The payload model of each update."""
