"""Payloads of the signals and updates (CONTRACT.md, "Signals" and "Updates")."""

from datetime import datetime
from typing import Final

from pydantic import Field, field_validator, model_validator

from dunning.contract.case import ContractModel
from dunning.contract.enums import OperatorAction, PaymentChannel

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class FromEvent(ContractModel):
    """A message that may come from a provider's event, which can be delivered twice."""

    source_event_id: str | None = Field(default=None, max_length=255)
    """The provider event (Stripe `evt_…`) it comes from; a case acts on each event once."""


class PaymentMethodUpdated(FromEvent):
    """The customer gave a new payment method: retry now, within the network rules."""

    payment_method_id: str | None = Field(default=None, max_length=255)
    """The new Stripe payment method (`pm_…`); the customer's default when omitted."""
    card_fingerprint: str | None = Field(default=None, max_length=255)
    """The card's fingerprint, when the event names it: a card attached again is the same
    card to the network rules, not a fresh one."""


class InvoicePaid(FromEvent):
    """The invoice was paid outside the workflow: close as recovered."""

    paid_at: datetime | None = None
    """When it was paid."""
    via: PaymentChannel | None = None
    """How it was paid."""
    reference: str | None = Field(default=None, max_length=255)
    """A remittance or transaction reference."""


class PoNumberProvided(ContractModel):
    """The customer's PO number, to put on the invoice before it is re-sent."""

    po_number: str = Field(min_length=1, max_length=100)
    """The purchase order number."""
    provided_by: str | None = Field(default=None, max_length=255)
    """Who provided it."""

    @field_validator("po_number")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("po_number must not be blank")
        return value.strip()


class BillingContactCorrected(ContractModel):
    """The right accounts-payable contact for the invoice."""

    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    """The contact's email address."""
    name: str | None = Field(default=None, max_length=255)
    """The contact's name."""
    provided_by: str | None = Field(default=None, max_length=255)
    """Who provided it."""


STRIPE_ACTOR = "stripe"
"""The `actor` of a decision the webhook service takes on Stripe's word: an invoice voided
or marked uncollectible in Stripe stops its case."""


class OperatorDecision(FromEvent):
    """A person's decision on a case."""

    action: OperatorAction
    """What to do."""
    days: int | None = Field(default=None, gt=0, le=365)
    """For `extend`: how many days to push every remaining step."""
    note: str | None = Field(default=None, max_length=2000)
    """Why, for the timeline."""
    actor: str = Field(min_length=1, max_length=255)
    """Who decided."""

    @model_validator(mode="after")
    def _extend_needs_days(self) -> "OperatorDecision":
        if self.action is OperatorAction.EXTEND and self.days is None:
            raise ValueError("days is required when action is 'extend'")
        return self


class StripeEvent(FromEvent):
    """A Stripe event about the case's invoice (the webhook's signal-with-start)."""

    type: str = Field(min_length=1, max_length=100)
    """The event type, e.g. `invoice.payment_failed`."""
    occurred_at: datetime | None = None
    """When Stripe says it happened (the event's `created`, on the calendar): for a bank's
    answer to a debit, the moment the next presentment counts its gap from, however late
    the event arrives."""


class Signals:
    """Signal names of the contract, and `stripe_event`, which the webhook starts cases with."""

    PAYMENT_METHOD_UPDATED: Final = "payment_method_updated"
    INVOICE_PAID: Final = "invoice_paid"
    PO_NUMBER_PROVIDED: Final = "po_number_provided"
    BILLING_CONTACT_CORRECTED: Final = "billing_contact_corrected"
    OPERATOR_DECISION: Final = "operator_decision"
    STRIPE_EVENT: Final = "stripe_event"


class Updates:
    """Update names of the contract."""

    PROVIDE_PO_NUMBER: Final = "provide_po_number"
    CORRECT_BILLING_CONTACT: Final = "correct_billing_contact"
    DECIDE: Final = "decide"


SIGNAL_PAYLOADS: dict[str, type[ContractModel]] = {
    Signals.PAYMENT_METHOD_UPDATED: PaymentMethodUpdated,
    Signals.INVOICE_PAID: InvoicePaid,
    Signals.PO_NUMBER_PROVIDED: PoNumberProvided,
    Signals.BILLING_CONTACT_CORRECTED: BillingContactCorrected,
    Signals.OPERATOR_DECISION: OperatorDecision,
    Signals.STRIPE_EVENT: StripeEvent,
}
"""The payload model of each signal."""

UPDATE_PAYLOADS: dict[str, type[ContractModel]] = {
    Updates.PROVIDE_PO_NUMBER: PoNumberProvided,
    Updates.CORRECT_BILLING_CONTACT: BillingContactCorrected,
    Updates.DECIDE: OperatorDecision,
}
"""The payload model of each update."""


def signal_name(message: ContractModel) -> str:
    """The signal that carries a message."""
    return next(name for name, model in SIGNAL_PAYLOADS.items() if type(message) is model)
