"""What the providers tell the policy: small, typed facts, never whole provider objects."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dunning.contract.enums import CustomerTier
from dunning.providers.ledger import LedgerEntry


class InvoiceStatus(StrEnum):
    """Stripe's invoice statuses."""

    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


SETTLED_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE})
"""Stripe invoice statuses that leave nothing to collect."""


class FactModel(BaseModel):
    """Base of provider facts: immutable, tolerant of fields added later."""

    model_config = ConfigDict(frozen=True)


class Person(FactModel):
    """A named person with an email address."""

    name: str | None = None
    """Display name."""
    email: str
    """Email address."""


class AccountFacts(FactModel):
    """The CRM's view of the customer account, found by the Stripe customer id."""

    found: bool = True
    """False when the CRM has no record for the customer (the defaults below apply)."""
    company_id: str | None = None
    """The CRM's id of the company record."""
    tier: CustomerTier = CustomerTier.SELF_SERVE
    """The account's segment."""
    owner_id: str | None = None
    """CRM owner id of the account owner; tasks are assigned to them."""
    owner: Person | None = None
    """The account owner."""
    ap_contact: Person | None = None
    """The customer's accounts-payable contact, who receives invoices on net terms."""
    ap_contact_bounced: bool = False
    """True when mail to the AP contact has bounced."""
    po_required: bool = False
    """The customer's AP team pays only invoices that carry a PO number."""
    contract_amount: int | None = None
    """The contracted amount of each invoice, in minor units."""
    annual_contract_value: int | None = None
    """The contract's value per year, in minor units."""
    approval_pending: bool = False
    """The invoice is waiting on the customer's internal approval."""


class InvoiceFacts(FactModel):
    """Stripe's view of the invoice."""

    status: InvoiceStatus
    """Stripe's status of the invoice."""
    number: str | None = None
    """The invoice number printed on the invoice."""
    amount_due: int
    """Amount due in minor units."""
    tax: int = 0
    """The tax included in the amount, minor units: a contract is compared without it."""
    hosted_invoice_url: str | None = None
    """The payment link the customer can pay at."""
    customer_email: str | None = None
    """The billing email Stripe holds for the customer."""
    po_number: str | None = None
    """The PO number on the invoice, if any."""
    card_fingerprint: str | None = None
    """The card whose payment failed, when Stripe names it: the network rules count per
    card, and a customer may attach that same card again."""
    auto_advance: bool | None = None
    """Whether Stripe collects the invoice on its own (retries, reminders) as it stands."""
    amount_paid: int = 0
    """Money received against the invoice so far, minor units (a partial payment)."""
    credited: int = 0
    """Credit notes issued against the invoice, minor units: not money received."""

    @property
    def is_settled(self) -> bool:
        """Nothing is left to collect."""
        return self.status in SETTLED_STATUSES


class FactsRequest(FactModel):
    """Which account and invoice to read a case's facts from."""

    customer_id: str
    """The Stripe customer id; the CRM account is found by it."""
    invoice_id: str
    """The Stripe invoice id."""
    take_over_collection: bool = False
    """Also turn off Stripe's own collection of an open invoice (`auto_advance`), so that
    the case alone charges and mails it: asked on the case's first read."""
    opening: LedgerEntry | None = None
    """Also record the case's opening in the ledger: on the case's first read, in the same
    billed action."""


class CaseFacts(FactModel):
    """The CRM's and Stripe's facts, read together; a provider that refused is named."""

    account: AccountFacts | None = None
    """The account, or None when the CRM refused the lookup."""
    invoice: InvoiceFacts | None = None
    """The invoice, or None when Stripe refused the read."""
    refusals: list[str] = Field(default_factory=list)
    """Why a provider refused its read, one line each; the case goes on without that fact."""
    collection_taken_over: bool | None = None
    """Asked to take over collection: whether Stripe was collecting the invoice on its own
    and now is not (False: it already was not). None: not asked, or nothing to collect."""
