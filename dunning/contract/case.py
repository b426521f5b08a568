"""The start input of a case: `DunningCase` (CONTRACT.md, "Start input")."""

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dunning.contract.enums import CollectionMethod, EmailTemplate, PaymentMethodType
from dunning.rules.policy import DunningPolicy

INVOICE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,255}$"
QUERYABLE_ID_PATTERN = r"^[A-Za-z0-9_.:@-]{1,255}$"
"""An id a visibility query can name as it is (a customer's cases are found by theirs):
letters, digits and `_.:@-`, never a quote."""
REAL_DAY_SECONDS = 86_400


class ContractModel(BaseModel):
    """Base for every model that crosses the public boundary: unknown fields are refused,
    so a misspelt optional field is an error instead of a silently dropped value."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FailureDetails(ContractModel):
    """What the payment provider said when the payment failed. Every field is optional."""

    code: str | None = Field(default=None, max_length=100)
    """Stripe error code, e.g. `card_declined` or `expired_card`."""
    decline_code: str | None = Field(default=None, max_length=100)
    """Issuer decline code, e.g. `insufficient_funds`."""
    advice_code: str | None = Field(default=None, max_length=100)
    """Stripe's advice: `try_again_later`, `do_not_try_again` or `confirm_card_data`."""
    network_decline_code: str | None = Field(default=None, max_length=100)
    """Card network decline code (Visa), e.g. `05`, `51`, `R0`."""
    network_advice_code: str | None = Field(default=None, max_length=100)
    """Card network merchant advice code (Mastercard), e.g. `01`, `02`, `24`."""
    message: str | None = Field(default=None, max_length=1000)
    """Human-readable message from the provider."""


class CaseOptions(ContractModel):
    """Options captured when the case starts."""

    day_seconds: int = Field(default=REAL_DAY_SECONDS, ge=1, le=REAL_DAY_SECONDS)
    """Length of one policy day in seconds; compresses the whole schedule for demos."""


class PreDunningContext(ContractModel):
    """What the renewal's watch asked before the invoice failed, and what the customer did:
    the dunning case does not ask again for what was already asked."""

    watch_id: str = Field(min_length=1, max_length=255)
    """The `PreDunningWorkflow` that watched the renewal."""
    asked: tuple[EmailTemplate, ...] = ()
    """The emails the watch sent, each template once, in order."""
    card_replaced: bool = False
    """The customer gave a new payment method during the watch."""
    po_number: str | None = Field(default=None, max_length=100)
    """The PO the customer sent during the watch."""
    contact_email: str | None = Field(default=None, max_length=254)
    """The billing contact the customer confirmed during the watch."""


class DunningCase(ContractModel):
    """One failed or overdue invoice to recover. Starts one `DunningWorkflow`."""

    invoice_id: str = Field(pattern=INVOICE_ID_PATTERN)
    """Stripe invoice id (`in_…`); the workflow id is `dunning-{invoice_id}`."""
    customer_id: str = Field(pattern=QUERYABLE_ID_PATTERN)
    """Stripe customer id (`cus_…`); the CRM record is found by it, and the customer's open
    cases (to tell them of a new card) by a visibility query that names it."""
    amount_due: int = Field(gt=0)
    """Amount due in minor units (cents)."""
    currency: str = Field(pattern=r"^[a-z]{3}$")
    """ISO 4217 currency code, lower case."""
    collection_method: CollectionMethod
    """How Stripe collects this invoice."""
    payment_method_type: PaymentMethodType
    """How the customer pays."""
    failure: FailureDetails | None
    """The provider's answer to the failed charge; null for a net-terms invoice gone overdue."""
    failed_at: datetime
    """When the failure (or the overdue) happened; naive times are taken as UTC."""
    due_date: date | None = None
    """The invoice's due date, if it has one."""
    po_number: str | None = Field(default=None, max_length=100)
    """The purchase order number on the invoice, if any."""
    subscription_id: str | None = Field(default=None, max_length=255)
    """The subscription the invoice belongs to; needed for subscription end actions."""
    options: CaseOptions = CaseOptions()
    """Options captured at start."""
    policy: DunningPolicy | None = None
    """The policy in force when the case was started; None means the built-in defaults."""
    predunning: PreDunningContext | None = None
    """For a renewal that failed after a watch: what the watch asked and what came of it."""

    @field_validator("failed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @field_validator("po_number")
    @classmethod
    def _blank_po_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _net_terms_are_invoiced(self) -> "DunningCase":
        if (
            self.payment_method_type is PaymentMethodType.INVOICE
            and self.collection_method is not CollectionMethod.SEND_INVOICE
        ):
            raise ValueError(
                "payment_method_type 'invoice' requires collection_method 'send_invoice'"
            )
        return self

    @property
    def workflow_id(self) -> str:
        """The id of the one workflow that handles this invoice."""
        return workflow_id_for(self.invoice_id)

    @property
    def effective_policy(self) -> DunningPolicy:
        """The policy this case runs under."""
        return self.policy or DunningPolicy()


def workflow_id_for(invoice_id: str) -> str:
    """The contract's workflow id for an invoice."""
    return f"dunning-{invoice_id}"
