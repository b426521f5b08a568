"""The world file: customers and invoices the sandbox serves (CONTRACT.md, "Sandbox world")."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dunning.contract.case import (
    INVOICE_ID_PATTERN,
    QUERYABLE_ID_PATTERN,
    REAL_DAY_SECONDS,
    FailureDetails,
)
from dunning.contract.enums import CollectionMethod, CustomerTier, PaymentMethodType
from dunning.contract.messages import SIGNAL_PAYLOADS
from dunning.errors import InputError, load_json
from worlds.behaviour import Behaviour
from worlds.cases import case_of
from worlds.clock import WorldDays
from worlds.declines import never_recovers
from worlds.renewals import EXPIRED_CARD, Subscription

SUCCEEDED = "succeeded"
ChargeOutcome = Literal[
    "succeeded",
    "insufficient_funds",
    "generic_decline",
    "do_not_honor",
    "card_velocity_exceeded",
    "processing_error",
    "try_again_later",
    "expired_card",
    "incorrect_cvc",
    "authentication_required",
    "lost_card",
    "stolen_card",
    "pickup_card",
    "fraudulent",
    "do_not_try_again",
]


def _succeeds() -> "list[ChargeOutcome]":
    return ["succeeded"]


class WorldModel(BaseModel):
    """Base of world entries: unknown fields are refused, naming the entry."""

    model_config = ConfigDict(extra="forbid")


class Contact(WorldModel):
    """A person with an email address."""

    name: str | None = None
    """Display name."""
    email: str
    """Email address."""


class Owner(Contact):
    """The account owner in the CRM."""

    id: str
    """CRM owner id."""


class Customer(WorldModel):
    """A customer: a Stripe customer and its CRM company."""

    id: str = Field(pattern=QUERYABLE_ID_PATTERN)
    """Stripe customer id (`cus_…`, or any id of letters, digits and `_.:@-`: the webhook
    service finds a customer's cases by it when a new card is announced)."""
    name: str
    """Company name."""
    email: str | None = None
    """Billing email in Stripe."""
    tier: CustomerTier = CustomerTier.SELF_SERVE
    """CRM tier."""
    po_required: bool = False
    """The AP team pays only invoices with a PO."""
    contract_amount: int | None = None
    """Contracted amount per invoice, minor units."""
    annual_contract_value: int | None = None
    """Contract value per year, minor units."""
    owner: Owner | None = None
    """Account owner."""
    ap_contact: Contact | None = None
    """Accounts-payable contact."""
    ap_contact_bounced: bool = False
    """Mail to the AP contact bounced."""
    approval_pending: bool = False
    """The invoice awaits the customer's internal approval."""


class DemoAction(WorldModel):
    """Something a customer or operator does to a case during the demo."""

    day: WorldDays
    """Policy day on which it happens."""
    signal: str
    """The contract signal sent (`payment_method_updated` also updates the card first)."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """The signal's payload."""

    @model_validator(mode="after")
    def _valid_signal(self) -> "DemoAction":
        model = SIGNAL_PAYLOADS.get(self.signal)
        if model is None:
            raise ValueError(f"unknown signal {self.signal!r}")
        model.model_validate(self.payload)
        return self


class Invoice(WorldModel):
    """A failed or overdue invoice, and what each charge of it will return."""

    id: str = Field(pattern=INVOICE_ID_PATTERN)
    """Stripe invoice id."""
    customer: str
    """Customer id."""
    amount_due: int = Field(gt=0)
    """Minor units."""
    tax: int = Field(default=0, ge=0)
    """The tax included in `amount_due`, minor units."""
    currency: str = Field(pattern=r"^[a-z]{3}$")
    """ISO 4217, lower case."""
    collection_method: CollectionMethod
    """How Stripe collects it."""
    payment_method_type: PaymentMethodType
    """How the customer pays."""
    number: str | None = None
    """Invoice number; derived from the id when absent."""
    po_number: str | None = None
    """PO on the invoice."""
    subscription_id: str | None = None
    """Subscription it belongs to."""
    failure: FailureDetails | None = None
    """The failure that opened the case; null for an overdue net-terms invoice."""
    attempt_outcomes: list[ChargeOutcome] = Field(default_factory=_succeeds)
    """What each successive charge returns; past the end, the last entry repeats."""
    outcomes_after_update: list[ChargeOutcome] = Field(default_factory=_succeeds)
    """What charges return after the customer updates the payment method."""
    demo: list[DemoAction] = Field(default_factory=list)
    """What customers and operators do to this invoice's case in the demo."""
    fails_on_day: WorldDays = 0
    """The world day the invoice fails (or, on net terms, falls due)."""
    behaviour: Behaviour | None = None
    """How its customer and card behave; instead of `attempt_outcomes`."""

    def scripted_answer(self, charges: int, on_new_card: int | None = None) -> ChargeOutcome:
        """What its script answers the next charge after `charges` of them, or after
        `on_new_card` on the card the customer attached (`outcomes_after_update`); past the
        end of a script, its last entry repeats."""
        if on_new_card is None:
            script, index = self.attempt_outcomes, charges
        else:
            script, index = self.outcomes_after_update, on_new_card
        return script[min(index, len(script) - 1)]

    @property
    def announced(self) -> bool:
        """A world on a clock announces its failure as Stripe does: a charged invoice with
        its decline (`invoice.payment_failed`), one sent for payment by falling due
        (`invoice.overdue`). A scripted one may be neither, for cases started by hand."""
        charged = self.collection_method is CollectionMethod.CHARGE_AUTOMATICALLY
        return charged == (self.failure is not None)

    def failed_at(self, origin: datetime) -> datetime:
        """When the invoice fails (or falls due), from the calendar moment of world day 0,
        in UTC as the webhook service reads Stripe's epochs: a case's calendar is the same
        whatever offset the world's calendar is written in."""
        return (origin + timedelta(days=self.fails_on_day)).astimezone(UTC)

    def falls_due(self, origin: datetime) -> datetime | None:
        """When an invoice sent for payment falls due: the world day it is announced
        overdue, from the calendar moment of world day 0 (None: it is charged)."""
        if self.collection_method != "send_invoice":
            return None
        return origin + timedelta(days=self.fails_on_day)

    @model_validator(mode="after")
    def _behaves_or_is_scripted(self) -> "Invoice":
        scripted = {"attempt_outcomes", "outcomes_after_update"} & self.model_fields_set
        if self.behaviour is None:
            return self
        if scripted:
            raise ValueError(f"behaviour and {sorted(scripted)[0]} cannot both be given")
        soft = self.failure is not None and not never_recovers(self.failure)
        if soft and "funds_return_day" not in self.behaviour.model_fields_set:
            raise ValueError("behaviour.funds_return_day is required for a soft decline")
        bank_debit = self.payment_method_type in (
            PaymentMethodType.ACH_DEBIT,
            PaymentMethodType.SEPA_DEBIT,
        )
        if self.behaviour.settles_after_days is not None and not bank_debit:
            raise ValueError("behaviour.settles_after_days is only for ach_debit and sepa_debit")
        paid = self.behaviour.pays_on_day
        if paid is not None and paid < self.fails_on_day:
            raise ValueError(
                f"behaviour.pays_on_day ({paid:g}) is before fails_on_day "
                f"({self.fails_on_day:g}): an invoice paid before it fails never fails"
            )
        return self


class World(WorldModel):
    """Customers and invoices."""

    calendar_start: datetime | None = None
    """The calendar moment of world day 0 (default: when the run starts); without an
    offset, in UTC."""
    customers: list[Customer]
    """Every customer."""
    invoices: list[Invoice]
    """Every invoice."""
    subscriptions: list[Subscription] = Field(default_factory=list)
    """Subscriptions that renew during the world (pre-dunning's renewals)."""
    upcoming_notice_days: WorldDays = 30
    """Stripe announces `invoice.upcoming` this many days before each renewal."""

    @field_validator("calendar_start")
    @classmethod
    def _in_utc_unless_told(cls, moment: datetime | None) -> datetime | None:
        # Every other moment of a run carries its offset: a naive one cannot be compared.
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment

    @model_validator(mode="after")
    def _consistent(self) -> "World":
        customers = {c.id for c in self.customers}
        if len(customers) != len(self.customers):
            raise ValueError("customer ids must be unique")
        if len({i.id for i in self.invoices}) != len(self.invoices):
            raise ValueError("invoice ids must be unique")
        for index, invoice in enumerate(self.invoices):
            where = f"invoices.{index} ({invoice.id})"
            if invoice.customer not in customers:
                raise ValueError(f"{where}: unknown customer {invoice.customer!r}")
            if invoice.behaviour is not None:
                _announceable(invoice, where)
            _opens_a_case(invoice, self.calendar_start or datetime.now(UTC), where)
        invoice_ids = {i.id for i in self.invoices}
        if len({s.id for s in self.subscriptions}) != len(self.subscriptions):
            raise ValueError("subscription ids must be unique")
        for index, subscription in enumerate(self.subscriptions):
            where = f"subscriptions.{index} ({subscription.id})"
            if subscription.customer not in customers:
                raise ValueError(f"{where}: unknown customer {subscription.customer!r}")
            if subscription.renewal_invoice_id in invoice_ids:
                raise ValueError(f"{where}: its renewal invoice's id is an invoice's id")
        return self

    def customer(self, customer_id: str) -> Customer:
        """The customer with this id."""
        return next(c for c in self.customers if c.id == customer_id)

    def renewal_invoice(self, subscription: Subscription, origin: datetime) -> Invoice:
        """The invoice a renewal issues: a charged one fails with `expired_card` when the
        card on file expired first; an invoiced one falls due `days_until_due` later and
        goes overdue unless paid. Its customer answers as the subscription's behaviour says."""
        invoiced = subscription.invoiced
        return Invoice(
            id=subscription.renewal_invoice_id,
            customer=subscription.customer,
            amount_due=subscription.amount,
            currency=subscription.currency,
            collection_method=CollectionMethod.SEND_INVOICE
            if invoiced
            else CollectionMethod.CHARGE_AUTOMATICALLY,
            payment_method_type=PaymentMethodType.INVOICE
            if invoiced
            else subscription.payment_method_type,
            subscription_id=subscription.id,
            failure=EXPIRED_CARD if subscription.card_expires_first(origin) else None,
            fails_on_day=subscription.due_day,
            behaviour=Behaviour(reactions=subscription.behaviour.reactions),
        )


def _opens_a_case(invoice: Invoice, origin: datetime, where: str) -> None:
    """The invoice's failure opens a case the contract accepts (the webhook service would
    otherwise open none, and the backtest stop at it)."""
    try:
        case_of(invoice, origin, REAL_DAY_SECONDS)
    except InputError as err:
        raise ValueError(f"{where}: its case would be refused: {err}") from err


def _announceable(invoice: Invoice, where: str) -> None:
    """A behavioural invoice fails as Stripe announces it (`Invoice.announced`), or is
    refused, naming what is wrong."""
    if invoice.announced:
        return
    if invoice.failure is None:
        raise ValueError(
            f"{where}: failure is required for a charge_automatically invoice: its charge "
            "failed (only a send_invoice invoice falls due without one)"
        )
    raise ValueError(
        f"{where}: failure is not for a send_invoice invoice: it falls due "
        "(invoice.overdue) on its fails_on_day, with no charge to fail"
    )


MAX_WORLD_BYTES = 16 * 1024 * 1024
"""Worlds are larger than other input files: a 10,000-invoice world is about 8 MB."""


class WorldError(InputError):
    """A world file that cannot be used, with a message naming the bad entry."""


def load_world(path: Path) -> World:
    """Read and validate a world file; an error names the invoice by its id too."""
    try:
        return load_json(World, path, MAX_WORLD_BYTES)
    except InputError as err:
        raise WorldError(_with_ids(str(err), path)) from err


def _with_ids(message: str, path: Path) -> str:
    """`invoices.3.behaviour…` → `invoices.3 (in_004).behaviour…`, where the file says."""
    try:
        entries = json.loads(path.read_text()).get("invoices") or []
    except (OSError, ValueError, AttributeError):
        return message

    def named(match: re.Match[str]) -> str:
        index = int(match.group(1))
        entry = entries[index] if index < len(entries) else None
        ident = entry.get("id") if isinstance(entry, dict) else None
        return f"invoices.{index} ({ident})" if isinstance(ident, str) else match.group(0)

    return re.sub(r"invoices\.(\d+)(?! \()", named, message)
