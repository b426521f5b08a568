"""Stripe, HubSpot and SendGrid in memory, scripted per case: the `Effects` of the
property tests, and, registered under the real activity names, of the workflow tests.

It answers like the providers do, and it can be as awkward as they are: calls take
time, a provider refuses a request for good, the invoice is paid or voided by someone
else, a card declines with one code and then another, and a customer attaches the
same card again.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dunning.contract.case import FailureDetails
from dunning.machine.effects import ProviderRefused
from dunning.providers.cards import CardRoom, CardUse
from dunning.providers.facts import AccountFacts, CaseFacts, FactsRequest, InvoiceFacts
from dunning.providers.facts import InvoiceStatus as Status
from dunning.providers.ledger import LedgerEntry
from dunning.providers.renewals import RenewalPo
from dunning.providers.requests import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    ContactUpdate,
    EmailReceipt,
    EmailRequest,
    InvoiceAction,
    PoUpdate,
    TaskReceipt,
    TaskRequest,
)

SUCCEEDED = "succeeded"
ORIGINAL_CARD = "card_original"
"""The fingerprint of the card whose payment failed."""
Outcome = str | FailureDetails
"""What one charge returns: `succeeded`, a decline code, or the whole decline."""


class Clock:
    """Time as the scripted providers see it. Real time passes by itself."""

    def now(self) -> datetime | None:
        """The current moment, where the providers can know it."""
        return None

    async def elapse(self, span: timedelta) -> None:
        """A call takes `span`."""


@dataclass
class Card:
    """A payment method the customer can attach, and what charging it returns."""

    fingerprint: str
    """The card behind it: attaching the same card again is not a new card."""
    outcomes: list[Outcome] = field(default_factory=lambda: [SUCCEEDED])
    """What each successive charge on it returns; past the end, the last repeats."""


def _default_invoice() -> InvoiceFacts:
    return InvoiceFacts(
        status=Status.OPEN,
        number="INV-0001",
        amount_due=5000,
        hosted_invoice_url="https://pay.example/in_1",
        customer_email="billing@customer.example",
        card_fingerprint=ORIGINAL_CARD,
    )


@dataclass
class ScriptedProviders:
    """One case's providers, scripted. Implements `dunning.machine.effects.Effects`."""

    account: AccountFacts = field(default_factory=AccountFacts)
    invoice: InvoiceFacts = field(default_factory=_default_invoice)
    outcomes: list[Outcome] = field(default_factory=lambda: [SUCCEEDED])
    """What charges on the original card return."""
    new_cards: list[Card] = field(default_factory=list)
    """The cards the customer attaches, in order; past the end, a fresh card that pays."""
    account_refusal: str | None = None
    """The CRM's refusal of the account lookup: the account then comes back as None."""
    refusals: dict[str, set[int]] = field(default_factory=dict)
    """Calls refused for good: activity name → which calls of it (1 = the first)."""
    refusal: str = "refused by the provider (400)"
    """What a refusing provider says."""
    settled: tuple[datetime, Status] | None = None
    """From that moment someone else settled the invoice (paid, void, uncollectible)."""
    settles_after: timedelta | None = None
    """Charges are bank debits: each stays processing this long after it reached the bank,
    then settles with its outcome (a decline is the bank's return)."""
    latency: timedelta = timedelta()
    """How long every call takes."""
    clock: Clock = field(default_factory=Clock)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    """Every call, in order: the activity name and its request."""
    started: list[datetime | None] = field(default_factory=list)
    """When each call of `calls` reached the provider."""
    attached: int = 0
    """How many cards the customer attached so far; charges go to the newest."""
    charges_on: dict[int, int] = field(default_factory=dict)
    """Charges made on each attached card (0: the original)."""
    paid: bool = False
    """A charge paid the invoice."""
    charges: list[tuple[datetime | None, str, Outcome]] = field(default_factory=list)
    """Every charge that reached a card: when it was asked for, which card (fingerprint),
    and what it returned."""
    elsewhere: list[tuple[str, CardUse]] = field(default_factory=list)
    """Charges on the customer's cards for other invoices: (fingerprint, charge)."""
    debit: tuple[datetime | None, Card, Outcome] | None = None
    """The bank debit settling: when it reached the bank, on which card, and its outcome."""

    def named(self, name: str) -> list[Any]:
        """The requests of every call to one activity, in order."""
        return [arg for called, arg in self.calls if called == name]

    def attach_card(self) -> Card:
        """The customer attaches their next card (the one a `payment_method_updated` names)."""
        self.attached += 1
        return self.card(self.attached)

    def card(self, generation: int) -> Card:
        """The card of a payment method generation (0: the original)."""
        if generation == 0:
            return Card(fingerprint=ORIGINAL_CARD, outcomes=self.outcomes)
        if generation <= len(self.new_cards):
            return self.new_cards[generation - 1]
        return Card(fingerprint=f"card_new_{generation}")

    async def _call(self, name: str, request: Any) -> None:
        self.calls.append((name, request))
        self.started.append(self.clock.now())
        await self.clock.elapse(self.latency)
        if len(self.named(name)) in self.refusals.get(name, ()):
            raise ProviderRefused(f"{name}: {self.refusal}")

    def _settled_status(self) -> Status | None:
        if self.paid:
            return Status.PAID
        now = self.clock.now()
        if self.settled is None or now is None or now < self.settled[0]:
            return None
        return self.settled[1]

    # ---- the effects --------------------------------------------------------------------

    async def read_case_facts(self, request: FactsRequest, *, summary: str = "") -> CaseFacts:
        await self._call("read_case_facts", request)
        status = self._settled_status()
        invoice = self.invoice.model_copy(update={"status": status}) if status else self.invoice
        taken_over = self._take_over(request, invoice)
        if self.account_refusal is not None:
            refusals = [self.account_refusal]
            return CaseFacts(invoice=invoice, refusals=refusals, collection_taken_over=taken_over)
        return CaseFacts(account=self.account, invoice=invoice, collection_taken_over=taken_over)

    def _take_over(self, request: FactsRequest, invoice: InvoiceFacts) -> bool | None:
        """Stripe's automatic collection, turned off when asked (it is on at first)."""
        if not request.take_over_collection or invoice.is_settled:
            return None
        was_on = self.invoice.auto_advance is not False
        self.invoice = self.invoice.model_copy(update={"auto_advance": False})
        return was_on

    async def charge_invoice(self, request: ChargeRequest, *, summary: str = "") -> ChargeResult:
        generation = self.attached  # the card on file when the charge was asked for
        card = self.card(generation)
        await self._call("charge_invoice", request)
        reached = self.started[-1]
        settled = self._settled_status()
        if settled is not None:
            return ChargeResult(status=ChargeStatus.settled(settled), invoice_status=settled)
        uses = self._uses(request.room, reached)
        if request.room is not None and not request.room.fits(uses):
            return ChargeResult(
                status=ChargeStatus.CARD_BUSY, invoice_status=Status.OPEN, card_uses=uses
            )
        self.charges_on[generation] = made = self.charges_on.get(generation, 0) + 1
        outcome = card.outcomes[min(made, len(card.outcomes)) - 1]
        self.charges.append((reached, card.fingerprint, outcome))
        if self.settles_after is not None:
            self.debit = (reached, card, outcome)
            return ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=Status.OPEN)
        return self._answer(card, outcome).model_copy(update={"card_uses": uses})

    def _answer(self, card: Card, outcome: Outcome) -> ChargeResult:
        if outcome == SUCCEEDED:
            self.paid = True
            return ChargeResult(
                status=ChargeStatus.SUCCEEDED,
                invoice_status=Status.PAID,
                card_fingerprint=card.fingerprint,
            )
        decline = outcome if isinstance(outcome, FailureDetails) else _decline(outcome)
        return ChargeResult(
            status=ChargeStatus.DECLINED,
            decline=decline,
            invoice_status=Status.OPEN,
            card_fingerprint=card.fingerprint,
        )

    async def read_settlement(self, invoice_id: str, *, summary: str = "") -> ChargeResult:
        await self._call("read_settlement", invoice_id)
        settled, debit, now = self._settled_status(), self.debit, self.clock.now()
        if settled is not None:
            return ChargeResult(status=ChargeStatus.settled(settled), invoice_status=settled)
        assert debit is not None and self.settles_after is not None, "no debit was made"
        reached, card, outcome = debit
        if now is not None and reached is not None and now < reached + self.settles_after:
            return ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=Status.OPEN)
        self.debit = None
        return self._answer(card, outcome)

    def _uses(self, room: CardRoom | None, now: datetime | None) -> list[CardUse]:
        """The card's charges for other invoices Stripe would list now."""
        if room is None:
            return []
        return [
            use
            for card, use in self.elsewhere
            if card == room.card_fingerprint
            and use.at > room.window_start
            and (now is None or use.at <= now)
        ]

    async def send_email(self, request: EmailRequest, *, summary: str = "") -> EmailReceipt:
        await self._call("send_email", request)
        return EmailReceipt(message_id=f"msg-{len(self.named('send_email'))}")

    async def create_task(self, request: TaskRequest, *, summary: str = "") -> TaskReceipt:
        await self._call("create_task", request)
        return TaskReceipt(task_id=f"task-{len(self.named('create_task'))}")

    async def read_account(self, customer_id: str, *, summary: str = "") -> AccountFacts:
        await self._call("read_account", customer_id)
        if self.account_refusal is not None:
            raise ProviderRefused(f"read_account: {self.account_refusal}")
        return self.account

    async def store_renewal_po(self, request: RenewalPo, *, summary: str = "") -> None:
        await self._call("store_renewal_po", request)

    async def record_case(self, request: LedgerEntry, *, summary: str = "") -> None:
        await self._call("record_case", request)

    async def apply_po_number(self, request: PoUpdate, *, summary: str = "") -> None:
        await self._call("apply_po_number", request)

    async def update_billing_contact(self, request: ContactUpdate, *, summary: str = "") -> None:
        await self._call("update_billing_contact", request)

    async def update_customer_email(self, request: ContactUpdate, *, summary: str = "") -> None:
        await self._call("update_customer_email", request)

    async def resend_invoice(self, invoice_id: str, *, summary: str = "") -> None:
        await self._call("resend_invoice", invoice_id)

    async def apply_invoice_action(self, request: InvoiceAction, *, summary: str = "") -> None:
        await self._call("apply_invoice_action", request)

    def effects(self) -> Sequence[tuple[str, Callable[[Any], Awaitable[Any]]]]:
        """Every effect with its activity name, for a worker of fakes."""
        return [
            ("read_case_facts", self.read_case_facts),
            ("charge_invoice", self.charge_invoice),
            ("read_settlement", self.read_settlement),
            ("send_email", self.send_email),
            ("create_task", self.create_task),
            ("apply_po_number", self.apply_po_number),
            ("read_account", self.read_account),
            ("record_case", self.record_case),
            ("store_renewal_po", self.store_renewal_po),
            ("update_billing_contact", self.update_billing_contact),
            ("update_customer_email", self.update_customer_email),
            ("resend_invoice", self.resend_invoice),
            ("apply_invoice_action", self.apply_invoice_action),
        ]


def _decline(code: str) -> FailureDetails:
    return FailureDetails(code="card_declined", decline_code=code)
