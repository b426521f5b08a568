"""The contract's Temporal names, shared by the worker, the starter and the tests."""

from typing import Final

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
