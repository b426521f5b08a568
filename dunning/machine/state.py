"""`CaseState`: everything a case knows, and the facts derived from it.

The state is data. Every change to it is made in `dunning.machine.transitions`, and
nowhere else; what is read here never changes anything.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from dunning.contract.case import DunningCase, FailureDetails
from dunning.contract.enums import (
    SUBSCRIPTION_END_ACTIONS,
    AttemptOutcome,
    CollectionMethod,
    CustomerTier,
    EmailTemplate,
    EndAction,
    FailureCategory,
    OperatorAction,
    Resolution,
    Stage,
    WorkflowReason,
)
from dunning.contract.status import (
    Attempt,
    DunningOutcome,
    EmailRecord,
    NextAction,
    RoutedTask,
    TimelineEntry,
)
from dunning.machine.pending import ChargeOut, PendingDebit
from dunning.providers.cards import CardUse
from dunning.providers.facts import AccountFacts, InvoiceFacts, Person
from dunning.providers.requests import InvoiceActionKind
from dunning.rules.classify import Classification
from dunning.rules.clock import CaseClock
from dunning.rules.policy import DunningPolicy, EndStateRule

T = TypeVar("T")


class CaseState(BaseModel):
    """The whole state of one case. Changed only by `dunning.machine.transitions`."""

    case: DunningCase
    """The start input."""
    policy: DunningPolicy
    """The policy captured at start."""
    day0: datetime
    """Day 0 of the schedule: when the case opened (for an invoice sent for payment, its
    due date, on the case's clock)."""
    calendar_day0: datetime | None = None
    """The calendar moment of day 0 when it is not the failure's: the due date."""
    account: AccountFacts | None = None
    """The CRM's facts, once read."""
    invoice: InvoiceFacts | None = None
    """Stripe's facts, once read."""
    classification: Classification | None = None
    """The current category and reason."""
    opened_as: Classification | None = None
    """The first classification: what the case set out to recover from."""
    po_number: str | None = None
    """The PO now on the invoice (from the case, Stripe or a fix)."""
    collection_owned: bool = False
    """Stripe's own collection of the invoice is off: this case alone charges and mails it."""
    ledger_key: str | None = None
    """The case's row in the ledger: the first run of its workflow (None: not recorded,
    as in the backtest)."""
    stage: Stage = Stage.CLASSIFYING
    """Where the case stands."""
    attempts: list[Attempt] = Field(default_factory=list)
    """Charge attempts made."""
    emails: list[EmailRecord] = Field(default_factory=list)
    """Emails sent."""
    failed_steps: list[str] = Field(default_factory=list)
    """Email steps that failed permanently and are not tried again."""
    routed: list[RoutedTask] = Field(default_factory=list)
    """Hand-offs made."""
    route_keys: list[str] = Field(default_factory=list)
    """De-duplication keys of the hand-offs made."""
    timeline: list[TimelineEntry] = Field(default_factory=list)
    """Every decision and event, in order (the oldest summarized on a long life)."""
    next_action: NextAction | None = None
    """What happens next."""
    outcome: DunningOutcome | None = None
    """Set when the case closes."""
    card: int = 0
    """Generation of the payment method: +1 for each update."""
    card_fingerprints: dict[int, str] = Field(default_factory=dict)
    """The card behind each payment method generation, where a provider named it."""
    payment_method_id: str | None = None
    """The payment method to charge, after an update that named one."""
    card_uses: list[CardUse] = Field(default_factory=list)
    """The card's charges for other invoices (or by others), as Stripe listed them at the
    last charge: the network caps count them with the case's own attempts."""
    card_read: tuple[str, datetime] | None = None
    """Which card those were, and when Stripe listed them."""
    amount_paid: int = 0
    """Money received against the invoice outside the case's own charges (partial
    payments), as Stripe last said."""
    credited: int = 0
    """Credit notes against the invoice, as Stripe last said."""
    reread: bool = False
    """Stripe announced a change to the invoice (a payment, a credit note): read it again."""
    retry_requested: Resolution | None = None
    """A retry asked for outside the schedule, and what would be credited for it."""
    fixed_by: Resolution | None = None
    """The fix (PO, contact, an internal team) credited if the case is paid after it."""
    pending_po: str | None = None
    """A PO number received, not yet put on the invoice."""
    pending_contact: Person | None = None
    """A billing contact received, not yet written to Stripe and the CRM."""
    pending_close: OperatorAction | None = None
    """An operator's closing decision, not yet carried out."""
    charge_out: ChargeOut | None = None
    """A charge asked of Stripe whose answer the case has not recorded yet."""
    changing_invoice: InvoiceActionKind | None = None
    """A change the case asked of Stripe as it closes (its end action, a write-off, a
    payment offline), not yet answered: Stripe announcing that change is its echo."""
    settling: PendingDebit | None = None
    """A bank debit made by the case that Stripe has not settled yet: the case waits for it."""
    debit_answered_at: datetime | None = None
    """When the bank last answered a debit: the next presentment keeps the retry gap from
    that answer, not from the debit days before it."""
    recheck: bool = False
    """Re-read the facts and classify again (after an internal fix)."""
    approval_granted: bool = False
    """An operator resumed a case waiting on the customer's approval: it is approved,
    whatever the CRM still says."""
    held: str | None = None
    """Why the case waits on an internal team after a provider refused a request."""
    paused_since: datetime | None = None
    """When an operator paused the case."""
    review_at: datetime | None = None
    """When a case on hold is next put to a person for review."""
    end_promised_at: datetime | None = None
    """The moment the final notice named for the end action. It holds however late the case
    runs after the notice (an outage never postpones it); a pause or an extension moves it."""
    shift: timedelta = timedelta()
    """How far pauses and extensions pushed the remaining schedule."""
    revision: int = 0
    """Bumped whenever an outside event changes the state; wakes a sleeping case."""
    seen_events: list[str] = Field(default_factory=list)
    """Provider events already acted on (the newest few)."""
    generation: int = 0
    """How many times the case carried its state into a fresh history."""
    summarized: dict[str, int] = Field(default_factory=dict)
    """How many timeline entries of each event were summarized away on a long life."""

    # ---- the case and its account ----------------------------------------------------

    _clock: tuple[timedelta, DunningCase, CaseClock] | None = PrivateAttr(default=None)
    """The clock last built, with the shift and the case it was built from (`day0` and
    `calendar_day0` never change): the planner reads it many times a decision."""

    _kept: dict[str, tuple[tuple[object, ...], object]] = PrivateAttr(default_factory=dict)
    """What rules derived from the state, each with what it was derived from (`kept`)."""

    def kept(self, name: str, key: tuple[object, ...], derive: Callable[[], T]) -> T:
        """What a rule derives from the state (`derive`), derived again only when `key`,
        everything it depends on, changes: the planner asks for some of it on every plan."""
        private = self.__pydantic_private__
        assert private is not None
        known = private["_kept"].get(name)
        if known is not None and known[0] == key:
            return cast(T, known[1])
        value = derive()
        private["_kept"][name] = (key, value)
        return value

    @property
    def clock(self) -> CaseClock:
        """The case's clock, shifted by pauses and extensions."""
        # Read straight from pydantic's private store: its attribute lookup for a private
        # attribute costs more than building the clock.
        private = self.__pydantic_private__
        assert private is not None
        known: tuple[timedelta, DunningCase, CaseClock] | None = private["_clock"]
        case = self.case
        if known is not None and known[0] == self.shift and known[1] is case:
            return known[2]
        origin = self.calendar_day0 or case.failed_at
        clock = CaseClock(self.day0, case.options.day_seconds, self.shift, origin)
        private["_clock"] = (self.shift, case, clock)
        return clock

    @property
    def category(self) -> FailureCategory | None:
        """The current failure category."""
        return self.classification.category if self.classification else None

    @property
    def reason(self) -> str | None:
        """The current failure reason."""
        return self.classification.reason if self.classification else None

    @property
    def workflow_reason(self) -> WorkflowReason | None:
        """The reason no retry can fix the invoice, for a workflow failure."""
        if self.category is not FailureCategory.WORKFLOW_FAILURE or self.reason is None:
            return None
        return WorkflowReason(self.reason)

    @property
    def tier(self) -> CustomerTier:
        """The account's tier (self-serve until the CRM says otherwise)."""
        return self.account.tier if self.account else CustomerTier.SELF_SERVE

    @property
    def is_enterprise(self) -> bool:
        """Enterprise tier, or a contract worth at least the high-value threshold a year."""
        value = self.account.annual_contract_value if self.account else None
        high_value = value is not None and value >= self.policy.high_value_annual_contract
        return self.tier is CustomerTier.ENTERPRISE or high_value

    @property
    def is_net_terms(self) -> bool:
        """The customer's AP team pays the invoice (no automatic charge)."""
        return self.case.collection_method is CollectionMethod.SEND_INVOICE

    @property
    def end_state(self) -> EndStateRule:
        """How this case ends if nothing recovers it."""
        if self.is_net_terms:
            return self.policy.net_terms_end_state
        tier = CustomerTier.ENTERPRISE if self.is_enterprise else self.tier
        return self.policy.end_states[tier]

    @property
    def amount_outstanding(self) -> int:
        """What is still to collect: the amount due less partial payments and credit."""
        return max(self.case.amount_due - self.amount_paid - self.credited, 0)

    @property
    def lateness_tolerance(self) -> timedelta:
        """How late a step may run before what follows it moves (the policy's hours, on the
        case's clock)."""
        return self.clock.tolerance(self.policy.lateness_tolerance_hours)

    def end_action_at(self, notice_at: datetime | None) -> datetime:
        """When the end action may be applied: on its day, and, when the final notice went
        out (`notice_at`) later than the policy's tolerance, no sooner than the notice
        period after it."""
        rule, clock = self.end_state, self.clock
        at = clock.on_day(rule.end_day)
        tolerance = self.lateness_tolerance
        if notice_at is not None and notice_at > clock.on_day(rule.final_notice_day) + tolerance:
            at = max(at, notice_at + clock.days(rule.end_day - rule.final_notice_day))
        return at

    @property
    def end_action(self) -> EndAction:
        """The end action to apply: a subscription action needs a subscription, so an
        invoice without one is marked uncollectible instead."""
        action = self.end_state.action
        if action in SUBSCRIPTION_END_ACTIONS and self.case.subscription_id is None:
            return EndAction.MARK_UNCOLLECTIBLE
        return action

    # ---- charges ---------------------------------------------------------------------

    def same_card(self, generation: int) -> bool:
        """Whether a payment method generation is the card charged now: the same
        generation, or a later update that turned out to be the same card."""
        if generation == self.card:
            return True
        mine, theirs = self.card_fingerprints.get(self.card), self.card_fingerprints.get(generation)
        return mine is not None and mine == theirs

    @property
    def card_fingerprint(self) -> str | None:
        """The card charged now, when a provider named it."""
        return self.card_fingerprints.get(self.card)

    @property
    def card_uses_now(self) -> list[CardUse]:
        """The current card's charges for other invoices, as last read (none if another
        card's were)."""
        read = self.card_read
        return self.card_uses if read is not None and read[0] == self.card_fingerprint else []

    @property
    def attempts_on_card(self) -> list[Attempt]:
        """Attempts made on the card charged now (the network rules count per card)."""
        if self.card == 0:  # never changed: every attempt was on this card
            return list(self.attempts)
        return [a for a in self.attempts if self.same_card(a.card)]

    @property
    def last_decline(self) -> tuple[FailureDetails | None, datetime]:
        """The newest decline on the current card, and when it happened."""
        for attempt in reversed(self.attempts):
            if attempt.outcome is AttemptOutcome.FAILED and self.same_card(attempt.card):
                return attempt.decline, attempt.at
        original = self.case.failure if self.same_card(0) else None
        return original, self.day0

    @property
    def scheduled_attempts(self) -> int:
        """Retries of the schedule made so far."""
        return sum(1 for a in self.attempts if a.scheduled)

    @property
    def failed_attempts(self) -> list[Attempt]:
        """Attempts that were declined."""
        return [a for a in self.attempts if a.outcome is AttemptOutcome.FAILED]

    # ---- where the case stands -------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """The case has its outcome."""
        return self.outcome is not None

    @property
    def is_paused(self) -> bool:
        """An operator paused the case."""
        return self.paused_since is not None

    def asked_before_renewal(self, template: EmailTemplate) -> bool:
        """The renewal's watch already sent this request: the case does not ask again."""
        watched = self.case.predunning
        return watched is not None and template in watched.asked

    @property
    def waits_internally(self) -> bool:
        """The next move is an internal team's (a provider refused us, or the contract differs)."""
        return self.held is not None or self.reason == WorkflowReason.CONTRACT_MISMATCH

    @property
    def is_blocked(self) -> bool:
        """No charge can recover the invoice until someone fixes something."""
        return self.held is not None or self.category is FailureCategory.WORKFLOW_FAILURE

    @property
    def has_pending_work(self) -> bool:
        """A message was taken that the case has not carried out yet."""
        return (
            self.pending_po is not None
            or self.pending_contact is not None
            or self.pending_close is not None
            or self.recheck
            or self.reread
        )

    # ---- emails ----------------------------------------------------------------------

    def step_done(self, step: str) -> bool:
        """An email step was sent, or failed for good."""
        return step in self.failed_steps or any(e.step == step for e in self.emails)

    @property
    def steps_done(self) -> set[str]:
        """Every email step sent, or failed for good."""
        return {e.step for e in self.emails}.union(self.failed_steps)

    def email_allowed_at(self, at: datetime) -> datetime:
        """The earliest moment from `at` that a customer email may go out: the policy's
        minimum gap after the last email sent."""
        if not self.emails:
            return at
        gap = self.clock.hours(self.policy.min_hours_between_emails)
        return max(at, self.emails[-1].at + gap)

    def sent_at(self, template: EmailTemplate) -> datetime | None:
        """When an email of this template was last sent."""
        times = [e.at for e in self.emails if e.template is template]
        return times[-1] if times else None

    def recipient(self) -> str | None:
        """Who customer emails go to: the AP contact on net terms or workflow issues."""
        billing = self.invoice.customer_email if self.invoice else None
        ap = self.account.ap_contact if self.account else None
        bounced = self.account.ap_contact_bounced if self.account else False
        prefers_ap = self.is_net_terms or self.category is FailureCategory.WORKFLOW_FAILURE
        if ap and not bounced and (prefers_ap or billing is None):
            return ap.email
        return billing


class CarriedCase(BaseModel):
    """A running case carried into a fresh history (continue-as-new): its whole state."""

    model_config = ConfigDict(extra="forbid")

    carried: CaseState
    """The state as it stood, its oldest timeline entries summarized."""
