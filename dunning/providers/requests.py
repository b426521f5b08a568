"""Requests the workflow hands to activities, and what activities answer. Ids, not objects."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dunning.contract.case import FailureDetails
from dunning.contract.enums import EmailTemplate, EndAction, Team
from dunning.providers.cards import CardRoom, CardUse
from dunning.providers.facts import InvoiceStatus


class EffectModel(BaseModel):
    """Base of activity inputs and results: immutable and small."""

    model_config = ConfigDict(frozen=True)


class ChargeRequest(EffectModel):
    """Pay an invoice once for one attempt of a case."""

    invoice_id: str
    """The Stripe invoice."""
    attempt: int
    """Attempt number; the idempotency key is `dunning-{invoice_id}-attempt-{attempt}`."""
    payment_method_id: str | None = None
    """Charge this payment method instead of the customer's default."""
    room: CardRoom | None = None
    """For a card: charge only if its other charges leave this room under the caps."""

    @property
    def idempotency_key(self) -> str:
        """One key per (invoice, attempt), never per activity retry."""
        return f"dunning-{self.invoice_id}-attempt-{self.attempt}"


class ChargeStatus(StrEnum):
    """What a charge attempt did to the invoice."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    ALREADY_PAID = "already_paid"
    """The invoice was paid before the attempt: nothing was charged."""
    NOT_PAYABLE = "not_payable"
    """The invoice was voided or marked uncollectible before the attempt."""
    PROCESSING = "processing"
    """A bank debit was accepted and is settling: the bank answers days later."""
    CARD_BUSY = "card_busy"
    """Not charged: the card's other charges leave no room under the network caps."""

    @classmethod
    def settled(cls, invoice_status: InvoiceStatus) -> "ChargeStatus":
        """The answer for an invoice that was settled before the attempt."""
        return cls.ALREADY_PAID if invoice_status is InvoiceStatus.PAID else cls.NOT_PAYABLE


class ChargeResult(EffectModel):
    """What a charge attempt did."""

    status: ChargeStatus
    """`already_paid` and `not_payable` mean the invoice was settled before the attempt."""
    decline: FailureDetails | None = None
    """The provider's answer for a decline."""
    invoice_status: InvoiceStatus
    """Stripe's invoice status after the attempt."""
    card_fingerprint: str | None = None
    """The fingerprint of the card charged, when the provider names it: the network caps
    count per card, whichever payment method object carries it."""
    card_uses: list[CardUse] = Field(default_factory=list)
    """The card's recent charges for other invoices, when the request asked about room."""

    @property
    def paid(self) -> bool:
        """The attempt's own money paid the invoice."""
        return self.status is ChargeStatus.SUCCEEDED


class EmailRequest(EffectModel):
    """One dunning email, fully rendered by the policy."""

    to: str
    """Recipient."""
    template: EmailTemplate
    """Which email (also sent to the provider as a category)."""
    subject: str
    """Subject line."""
    body: str
    """Plain-text body."""
    case_ref: str
    """Opaque id of the case (the workflow id), the only custom argument sent along."""
    step: str
    """Cadence step, part of the de-duplication key."""

    @property
    def dedupe_key(self) -> str:
        """One email per (case, step): sent along, and looked for before a retry sends."""
        return f"{self.case_ref}/{self.step}"


class EmailReceipt(EffectModel):
    """The provider accepted an email."""

    message_id: str | None
    """The provider's message id, if it returns one."""


class TaskRequest(EffectModel):
    """A task for the account owner in the CRM."""

    owner_id: str | None
    """CRM owner to assign the task to."""
    company_id: str | None
    """CRM company to associate the task with."""
    team: Team
    """The team that should act."""
    subject: str
    """Task title."""
    body: str
    """Context: invoice, failure, contract terms and the case's timeline."""
    case_ref: str
    """Opaque id of the case."""
    route_key: str = ""
    """The hand-off it fulfils, part of the de-duplication key."""

    @property
    def dedupe_key(self) -> str:
        """One task per (case, route): stored on the task, looked for before a retry creates."""
        return f"{self.case_ref}/{self.route_key}"


class TaskReceipt(EffectModel):
    """The CRM created a task."""

    task_id: str
    """The CRM's task id."""


class PoUpdate(EffectModel):
    """Put a PO number on an invoice and, for a sent invoice, send it again."""

    invoice_id: str
    """The Stripe invoice."""
    po_number: str
    """The purchase order number."""
    resend: bool
    """Send the invoice again to the customer (only `send_invoice` invoices can be sent)."""


class ContactUpdate(EffectModel):
    """Correct the billing contact in Stripe and the CRM."""

    customer_id: str
    """The Stripe customer."""
    company_id: str | None
    """The CRM company, when known."""
    email: str
    """The new billing contact's email."""
    name: str | None
    """The new billing contact's name."""


class InvoiceActionKind(StrEnum):
    """What can be done to an invoice or its subscription when dunning ends."""

    CANCEL_SUBSCRIPTION = "cancel_subscription"
    PAUSE_SUBSCRIPTION = "pause_subscription"
    MARK_UNCOLLECTIBLE = "mark_uncollectible"
    RESTRICT_ACCESS = "restrict_access"
    PAID_OUT_OF_BAND = "paid_out_of_band"
    """Record the invoice as paid outside Stripe (an operator's word)."""

    @classmethod
    def ending(cls, action: EndAction) -> "InvoiceActionKind":
        """The invoice action that carries out an end action."""
        return cls(action.value)


class InvoiceAction(EffectModel):
    """Something done to an invoice or its subscription when dunning ends."""

    invoice_id: str
    """The Stripe invoice."""
    customer_id: str
    """The Stripe customer."""
    subscription_id: str | None
    """The subscription, for subscription actions."""
    action: InvoiceActionKind
    """What to do."""
