"""The closed vocabularies of the contract (see CONTRACT.md). Values are the wire strings."""

from enum import StrEnum


class CollectionMethod(StrEnum):
    """How Stripe collects the invoice."""

    CHARGE_AUTOMATICALLY = "charge_automatically"
    SEND_INVOICE = "send_invoice"


class PaymentMethodType(StrEnum):
    """How the customer pays; `invoice` means net terms paid by the customer's AP team."""

    CARD = "card"
    ACH_DEBIT = "ach_debit"
    SEPA_DEBIT = "sepa_debit"
    INVOICE = "invoice"
    WIRE = "wire"


class FailureCategory(StrEnum):
    """What kind of failure a case is recovering from; decides the whole path."""

    SOFT_DECLINE = "soft_decline"
    HARD_DECLINE = "hard_decline"
    CUSTOMER_ACTION_REQUIRED = "customer_action_required"
    WORKFLOW_FAILURE = "workflow_failure"
    OVERDUE = "overdue"


class WorkflowReason(StrEnum):
    """Why an invoice fails for reasons no retry can fix."""

    MISSING_PO = "missing_po"
    WRONG_BILLING_CONTACT = "wrong_billing_contact"
    CONTRACT_MISMATCH = "contract_mismatch"
    APPROVAL_PENDING = "approval_pending"


class CustomerTier(StrEnum):
    """The account's segment, from the CRM."""

    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SELF_SERVE = "self_serve"


class Stage(StrEnum):
    """Where a case stands, as operators see it."""

    CLASSIFYING = "classifying"
    RETRYING = "retrying"
    AWAITING_CUSTOMER = "awaiting_customer"
    AWAITING_INTERNAL = "awaiting_internal"
    PAUSED = "paused"
    FINAL_NOTICE = "final_notice"
    CLOSED = "closed"


class Team(StrEnum):
    """Internal teams a case can be routed to."""

    FINANCE = "finance"
    REVOPS = "revops"
    CUSTOMER_SUCCESS = "customer_success"
    COLLECTIONS = "collections"


class EmailTemplate(StrEnum):
    """The customer emails the system sends."""

    PAYMENT_FAILED = "payment_failed"
    REMINDER = "reminder"
    SERVICE_IMPACT = "service_impact"
    FINAL_NOTICE = "final_notice"
    PO_REQUEST = "po_request"
    CONTACT_CONFIRM = "contact_confirm"
    EXPIRY_REMINDER = "expiry_reminder"
    """Pre-dunning: the card on file expires before the next renewal."""
    DUE_REMINDER = "due_reminder"
    """Pre-dunning: a renewal invoiced on net terms falls due soon."""


class NextActionKind(StrEnum):
    """The kind of the next thing a case will do by itself."""

    RETRY = "retry"
    EMAIL = "email"
    ESCALATE = "escalate"
    END_STATE = "end_state"
    WAIT = "wait"


class AttemptOutcome(StrEnum):
    """Result of one charge attempt."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WatchCheck(StrEnum):
    """What a renewal watch found that would make the renewal fail, each with its action."""

    CARD_EXPIRES = "card_expires"
    """The card on file expires before the renewal: expiry reminders with the update link."""
    CONTACT_UNCONFIRMED = "contact_unconfirmed"
    """The AP contact is missing or bounced: a contact confirmation, and a task for the
    account owner."""
    PO_MISSING = "po_missing"
    """The account pays only invoices with a PO and the renewal carries none: a PO request."""
    AMOUNT_MISMATCH = "amount_mismatch"
    """The renewal's amount is not the contract's: a RevOps task before it is invoiced."""
    NET_TERMS_DUE = "net_terms_due"
    """The renewal is invoiced on net terms: a reminder before it falls due."""


class CaseKind(StrEnum):
    """What a workflow of the product follows (the `CaseKind` search attribute)."""

    DUNNING = "dunning"
    """A failed or overdue invoice (`DunningWorkflow`)."""
    PREDUNNING = "predunning"
    """A renewal watched before it is charged (`PreDunningWorkflow`)."""
    DISPUTE = "dispute"
    """A dispute on recovered money (`DisputeWorkflow`)."""


class PreDunningResult(StrEnum):
    """How a pre-dunning case ended."""

    PREVENTED = "prevented"
    """The card was replaced after the reminder and the renewal paid."""
    PAID = "paid"
    """The renewal paid without the customer replacing the card (an updater refreshed it)."""
    FAILED = "failed"
    """The renewal failed anyway: its dunning case takes over."""
    NOT_NEEDED = "not_needed"
    """The card on file outlives the renewal: nothing to warn of."""
    UNRESOLVED = "unresolved"
    """No word of the renewal came within the grace after its date."""


class Outcome(StrEnum):
    """How a case ended."""

    RECOVERED = "recovered"
    WRITTEN_OFF = "written_off"
    END_STATE_APPLIED = "end_state_applied"
    STOPPED = "stopped"


class Resolution(StrEnum):
    """What recovered the money, for a recovered case."""

    RETRY = "retry"
    PAYMENT_METHOD_UPDATE = "payment_method_update"
    PO_FIX = "po_fix"
    CONTACT_FIX = "contact_fix"
    EXTERNAL_PAYMENT = "external_payment"
    OPERATOR = "operator"


class EndAction(StrEnum):
    """What the system does to the account when dunning is exhausted."""

    CANCEL_SUBSCRIPTION = "cancel_subscription"
    PAUSE_SUBSCRIPTION = "pause_subscription"
    MARK_UNCOLLECTIBLE = "mark_uncollectible"
    RESTRICT_ACCESS = "restrict_access"


SUBSCRIPTION_END_ACTIONS = frozenset({EndAction.CANCEL_SUBSCRIPTION, EndAction.PAUSE_SUBSCRIPTION})
"""End actions done to a subscription: they need one, and they are involuntary churn."""


class OperatorAction(StrEnum):
    """The decisions a person can make on a case."""

    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    WRITE_OFF = "write_off"
    MARK_PAID_OFFLINE = "mark_paid_offline"
    CANCEL_DUNNING = "cancel_dunning"


class PaymentChannel(StrEnum):
    """How an invoice paid outside the workflow was paid."""

    STRIPE = "stripe"
    ACH = "ach"
    WIRE = "wire"
    CHECK = "check"
    OTHER = "other"
