"""A behavioural world's invoice in memory: Stripe, HubSpot and SendGrid as its customer
and card behave, on the case's virtual clock. Implements `Effects`.

The card declines until its funds return; the customer reacts to the emails the case
really sent, pays on their own day, or sends a PO; what reaches the case does so as it
would in production: as a signal at the moment it happens.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from dunning.contract.case import FailureDetails
from dunning.contract.enums import EmailTemplate, PaymentChannel, PaymentMethodType
from dunning.contract.messages import (
    SIGNAL_PAYLOADS,
    BillingContactCorrected,
    InvoicePaid,
    PaymentMethodUpdated,
    PoNumberProvided,
    Signals,
    StripeEvent,
)
from dunning.machine.fit import Message
from dunning.providers.cards import CardRoom, CardUse
from dunning.providers.facts import (
    AccountFacts,
    CaseFacts,
    FactsRequest,
    InvoiceFacts,
    InvoiceStatus,
    Person,
)
from dunning.providers.ledger import LedgerEntry
from dunning.providers.requests import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    ContactUpdate,
    EmailReceipt,
    EmailRequest,
    InvoiceAction,
    InvoiceActionKind,
    PoUpdate,
    TaskReceipt,
    TaskRequest,
)
from lab.virtual import VirtualCase
from worlds.behaviour import Behaviour, CustomerAction, Reaction
from worlds.declines import (
    NEW_CARD_DECLINE,
    bank_return,
    card_charge,
    never_recovers,
    scripted_decline,
)
from worlds.fees import CardCharge
from worlds.model import SUCCEEDED, Customer, Invoice

WORLD_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class CardAttached:
    """A customer attached a new default card: every charge of theirs after it goes to
    that card, and each of their open cases hears of it (Stripe announces it once, for the
    customer)."""

    at: datetime
    fails: bool
    """The new card declines too."""
    by: str
    """The invoice, or the renewal's watch, whose email the customer answered."""


@dataclass(frozen=True, order=True)
class CardCharged:
    """A charge on one of the customer's cards for one of their invoices, as Stripe lists
    it among the customer's charges."""

    at: datetime
    card: str
    """The card's fingerprint."""
    succeeded: bool
    invoice_id: str

    def use(self) -> CardUse:
        """The charge as a case charging the same card for another invoice reads it."""
        return CardUse(at=self.at, succeeded=self.succeeded, invoice_id=self.invoice_id)


@dataclass(frozen=True)
class Elsewhere:
    """What an invoice sees of its customer's other invoices and renewal watches."""

    attached: tuple[CardAttached, ...] = ()
    """The cards the customer attached answering their emails, in time order."""
    charged: tuple[CardCharged, ...] = ()
    """The charges made on the customer's cards for them, in time order: the network caps
    are the card's."""


ALONE = Elsewhere()
"""An invoice whose customer has no other invoice or watch."""


@dataclass
class InvoiceWorld:
    """One invoice of a world, its customer, and what they did and saw."""

    invoice: Invoice
    customer: Customer
    origin: datetime
    """The calendar moment of world day 0."""
    case: VirtualCase
    status: InvoiceStatus = InvoiceStatus.OPEN
    po_number: str | None = None
    new_card: bool = False
    new_card_fails: bool = False
    charges: dict[str, list[CardCharge]] = field(default_factory=dict)
    """Every charge each card saw, by fingerprint, the failure that opened the case first."""
    emails: list[tuple[datetime, EmailTemplate]] = field(default_factory=list)
    tasks: int = 0
    amount_paid: int = 0
    reacted: set[int] = field(default_factory=set)
    auto_advance: bool = True
    """Stripe collects the invoice on its own until the case takes it over."""
    elsewhere: Elsewhere = ALONE
    """What the customer's other invoices and watches did that this invoice sees."""
    attached: list[CardAttached] = field(default_factory=list)
    """Cards the customer attached answering this invoice's emails."""
    debit: tuple[datetime, FailureDetails | None] | None = None
    """The bank debit settling: when the bank answers, and its return (None: it pays)."""
    scripted_charges: int = 0
    """Charges a scripted invoice answered (`attempt_outcomes`), as the sandbox counts them."""
    charges_after_update: int = 0
    """Of those, charges on the new card (`outcomes_after_update`)."""

    def __post_init__(self) -> None:
        self.po_number = self.invoice.po_number
        failure = self.invoice.failure
        if failure is not None:
            failed_at = self.day(self.invoice.fails_on_day)
            self.charges[self.original_card] = [card_charge(failed_at, failure)]
        pays_on = self.behaviour.pays_on_day
        if pays_on is not None:
            self.case.clock.at(self.day(pays_on), lambda: self._pay(PaymentChannel.OTHER))
        for action in self.invoice.demo:
            moment = self.day(self.invoice.fails_on_day + action.day)
            self._scripted_at(moment, action.signal, action.payload)
        opened = self.day(self.invoice.fails_on_day)
        for card in self.elsewhere.attached:  # in time order
            if card.at <= opened:  # before the case: its charges simply go to that card
                self.new_card, self.new_card_fails = True, card.fails
            else:
                self.case.clock.at(card.at, partial(self._attached_elsewhere, card))

    @property
    def behaviour(self) -> Behaviour:
        return self.invoice.behaviour or Behaviour()

    @property
    def original_card(self) -> str:
        return f"fp_{self.invoice.customer}"

    @property
    def current_card(self) -> str:
        return self.attached_card if self.new_card else self.original_card

    @property
    def attached_card(self) -> str:
        """The card the customer attaches, for every invoice of theirs."""
        return self.original_card + "_new"

    @property
    def charged(self) -> list[CardCharged]:
        """The charges the case made on the customer's cards (not the failure the world
        opened it with, which the sandbox does not list among the customer's charges)."""
        if self.invoice.payment_method_type is not PaymentMethodType.CARD:
            return []
        return [
            CardCharged(charge.at, card, charge.succeeded, self.invoice.id)
            for card, charges in self.charges.items()
            for charge in charges[1 if card == self.original_card and self.invoice.failure else 0 :]
        ]

    def day(self, world_day: float) -> datetime:
        """The moment of a world day."""
        return self.origin + world_day * WORLD_DAY

    def world_day(self, moment: datetime) -> float:
        return (moment - self.origin) / WORLD_DAY

    # ---- what the customer does ------------------------------------------------------

    def _pay(self, via: PaymentChannel) -> None:
        if self.status is InvoiceStatus.OPEN and not self.case.state.is_closed:
            self.status, self.amount_paid = InvoiceStatus.PAID, self.invoice.amount_due
            self.case.receive(InvoicePaid(via=via))

    def _scripted_at(self, moment: datetime, signal: str, payload: dict[str, Any]) -> None:
        """A scripted action of the world (a demo's operator or customer), sent as a person
        sends it; a new card is attached first."""

        def act() -> None:
            if signal == Signals.PAYMENT_METHOD_UPDATED:
                self.new_card = True
            self.case.receive(SIGNAL_PAYLOADS[signal].model_validate(payload))  # type: ignore[arg-type]

        self.case.clock.at(moment, act)

    def _react(self, reaction: Reaction) -> None:
        if self.case.state.is_closed or self.status is not InvoiceStatus.OPEN:
            return
        message: Message | None = None
        match reaction.does:
            case CustomerAction.PAY:
                self._pay(PaymentChannel.STRIPE)
            case CustomerAction.UPDATE_PAYMENT_METHOD:
                self.new_card, self.new_card_fails = True, reaction.new_card_fails
                now = self.case.clock.now()
                self.attached.append(CardAttached(now, reaction.new_card_fails, self.invoice.id))
                message = self._new_card_announced()
            case CustomerAction.PROVIDE_PO:
                message = PoNumberProvided(po_number=reaction.po_number or "", provided_by="ap")
            case CustomerAction.CORRECT_CONTACT:
                message = BillingContactCorrected(email=reaction.email or "", provided_by="ap")
        if message is not None:
            self.case.receive(message)

    def _new_card_announced(self) -> PaymentMethodUpdated:
        """What the case hears of the customer's new card."""
        return PaymentMethodUpdated(
            payment_method_id=f"pm_{self.invoice.customer}_new",
            card_fingerprint=self.attached_card,
        )

    def _attached_elsewhere(self, card: CardAttached) -> None:
        """The customer attached a new card answering another invoice's or a watch's email:
        this invoice is charged on it too, and its case, if open, hears of it."""
        self.new_card, self.new_card_fails = True, card.fails
        self.case.receive(self._new_card_announced())

    def _sent(self, template: EmailTemplate) -> None:
        now = self.case.clock.now()
        self.emails.append((now, template))
        received = [sent for _, sent in self.emails]
        for index, reaction in enumerate(self.behaviour.reactions):
            if reaction.answers(received) and index not in self.reacted:
                self.reacted.add(index)
                self._react_at(now + reaction.after_days * WORLD_DAY, reaction)

    def _react_at(self, moment: datetime, reaction: Reaction) -> None:
        self.case.clock.at(moment, lambda: self._react(reaction))

    # ---- the effects -----------------------------------------------------------------

    async def read_case_facts(self, request: FactsRequest, *, summary: str = "") -> CaseFacts:
        customer = self.customer
        account = account_of(customer)
        invoice = InvoiceFacts(
            status=self.status,
            number=self.invoice.number,
            amount_due=self.invoice.amount_due,
            tax=self.invoice.tax,
            hosted_invoice_url=f"https://invoice.example/{self.invoice.id}",
            customer_email=customer.email,
            po_number=self.po_number,
            card_fingerprint=self.original_card if self.invoice.failure else None,
            auto_advance=self.auto_advance,
        )
        taken_over = None
        if request.take_over_collection and not invoice.is_settled:
            taken_over, self.auto_advance = self.auto_advance, False
        return CaseFacts(account=account, invoice=invoice, collection_taken_over=taken_over)

    async def charge_invoice(self, request: ChargeRequest, *, summary: str = "") -> ChargeResult:
        if self.status is not InvoiceStatus.OPEN:
            return ChargeResult(
                status=ChargeStatus.settled(self.status), invoice_status=self.status
            )
        now = self.case.clock.now()
        uses = self._uses(request.room, now) if request.room and self.elsewhere.charged else []
        if request.room is not None and not request.room.fits(uses):
            busy = ChargeStatus.CARD_BUSY
            return ChargeResult(status=busy, invoice_status=self.status, card_uses=uses)
        answer = self._charge(now)
        return answer.model_copy(update={"card_uses": uses}) if uses else answer

    def _charge(self, now: datetime) -> ChargeResult:
        """The card (or bank account) charged now, as it behaves."""
        card = self.current_card
        decline = self._decline(now)
        settles_after = self.behaviour.settles_after_days
        if settles_after is not None:
            return self._debit(now, bank_return(decline) if decline else None, settles_after)
        self.charges.setdefault(card, []).append(card_charge(now, decline))
        if decline is not None:
            return ChargeResult(
                status=ChargeStatus.DECLINED,
                decline=decline,
                invoice_status=self.status,
                card_fingerprint=card,
            )
        self.status, self.amount_paid = InvoiceStatus.PAID, self.invoice.amount_due
        return ChargeResult(
            status=ChargeStatus.SUCCEEDED, invoice_status=self.status, card_fingerprint=card
        )

    def _uses(self, room: CardRoom, now: datetime) -> list[CardUse]:
        """The card's charges for the customer's other invoices in its retry window, as
        the charge lists them before it is made."""
        return [
            charge.use()
            for charge in self.elsewhere.charged
            if charge.card == room.card_fingerprint and room.window_start < charge.at < now
        ]

    def _debit(
        self, now: datetime, returned: FailureDetails | None, settles_after: float
    ) -> ChargeResult:
        """A bank debit: processing now; the bank pays or returns it, as the funds stood at
        the debit, `settles_after` days later, and Stripe announces which."""
        self.charges.setdefault(self.current_card, []).append(card_charge(now, returned))
        settles_at = now + settles_after * WORLD_DAY
        self.debit = (settles_at, returned)
        self.case.clock.at(settles_at, self._settle)
        return ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=self.status)

    def _settle(self) -> None:
        if self.debit is None or self.status is not InvoiceStatus.OPEN:
            return
        event = f"evt_{self.invoice.id}_settled_{sum(map(len, self.charges.values()))}"
        message: Message
        if self.debit[1] is None:
            self.status, self.amount_paid = InvoiceStatus.PAID, self.invoice.amount_due
            message = InvoicePaid(via=PaymentChannel.STRIPE, source_event_id=event)
        else:
            now = self.case.clock.now()
            message = StripeEvent(
                type="invoice.payment_failed", source_event_id=event, occurred_at=now
            )
        if not self.case.state.is_closed:
            self.case.receive(message)

    def _decline(self, now: datetime) -> FailureDetails | None:
        """How the card answers a charge now (None: it pays)."""
        if self.invoice.behaviour is None:
            return self._scripted_answer()
        if self.new_card:
            return NEW_CARD_DECLINE if self.new_card_fails else None
        failure = self.invoice.failure or NEW_CARD_DECLINE
        funds_back = self.behaviour.funds_return_day
        if never_recovers(failure) or funds_back is None or self.world_day(now) < funds_back:
            return failure
        return None

    def _scripted_answer(self) -> FailureDetails | None:
        """A scripted invoice answers its n-th charge with the n-th entry of its script (the
        last repeats), that of the new card once the customer attached one, as the sandbox
        does."""
        on_new_card = self.charges_after_update if self.new_card else None
        outcome = self.invoice.scripted_answer(self.scripted_charges, on_new_card)
        self.scripted_charges += 1
        if on_new_card is not None:
            self.charges_after_update += 1
        return None if outcome == SUCCEEDED else scripted_decline(outcome)

    async def read_settlement(self, invoice_id: str, *, summary: str = "") -> ChargeResult:
        debit, open_ = self.debit, self.status is InvoiceStatus.OPEN
        if debit is None or self.case.clock.now() < debit[0]:
            status = ChargeStatus.PROCESSING if open_ else ChargeStatus.settled(self.status)
            return ChargeResult(status=status, invoice_status=self.status)
        self.debit = None
        if debit[1] is None:
            return ChargeResult(status=ChargeStatus.SUCCEEDED, invoice_status=self.status)
        return ChargeResult(
            status=ChargeStatus.DECLINED, decline=debit[1], invoice_status=self.status
        )

    async def send_email(self, request: EmailRequest, *, summary: str = "") -> EmailReceipt:
        self._sent(request.template)
        return EmailReceipt(message_id=f"msg-{self.invoice.id}-{len(self.emails)}")

    async def create_task(self, request: TaskRequest, *, summary: str = "") -> TaskReceipt:
        self.tasks += 1
        return TaskReceipt(task_id=f"task-{self.invoice.id}-{self.tasks}")

    async def apply_po_number(self, request: PoUpdate, *, summary: str = "") -> None:
        self.po_number = request.po_number

    async def record_case(self, request: LedgerEntry, *, summary: str = "") -> None:
        """The backtest keeps no ledger: its report is built from the states."""

    async def update_billing_contact(self, request: ContactUpdate, *, summary: str = "") -> None:
        """The CRM holds the new contact (the case keeps it in its own facts)."""

    async def update_customer_email(self, request: ContactUpdate, *, summary: str = "") -> None:
        """Stripe holds the new billing email."""

    async def resend_invoice(self, invoice_id: str, *, summary: str = "") -> None:
        """The invoice goes out again."""

    async def apply_invoice_action(self, request: InvoiceAction, *, summary: str = "") -> None:
        if request.action is InvoiceActionKind.MARK_UNCOLLECTIBLE:
            self.status = InvoiceStatus.UNCOLLECTIBLE
        elif request.action is InvoiceActionKind.PAID_OUT_OF_BAND:
            self.status = InvoiceStatus.PAID


def account_of(customer: Customer) -> AccountFacts:
    """The CRM's account of a world's customer, as the sandbox's HubSpot answers it."""
    owner, ap = customer.owner, customer.ap_contact
    return AccountFacts(
        company_id=f"co_{customer.id}",
        tier=customer.tier,
        owner_id=owner.id if owner else None,
        owner=Person(name=owner.name, email=owner.email) if owner else None,
        ap_contact=Person(name=ap.name, email=ap.email) if ap else None,
        ap_contact_bounced=customer.ap_contact_bounced,
        po_required=customer.po_required,
        contract_amount=customer.contract_amount,
        annual_contract_value=customer.annual_contract_value,
        approval_pending=customer.approval_pending,
    )
