"""`CaseState`: everything a case knows, and the deterministic ways it changes.

The workflow owns one `CaseState`; signals and activity results change it only through
the methods here, so every rule about what an event means is found in this module.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel

from dunning.case import DunningCase, FailureDetails
from dunning.classify import Classification, classify, classify_decline
from dunning.clock import CaseClock
from dunning.effects import ChargeResult
from dunning.enums import (
    AttemptOutcome,
    CustomerTier,
    EmailTemplate,
    EndAction,
    FailureCategory,
    Outcome,
    Resolution,
    Stage,
    Team,
    WorkflowReason,
)
from dunning.facts import AccountFacts, InvoiceFacts, Person
from dunning.policy import DunningPolicy, EndStateRule
from dunning.status import (
    Attempt,
    DunningOutcome,
    DunningStatus,
    EmailRecord,
    NextAction,
    RoutedTask,
    TimelineEntry,
)

SEEN_EVENTS_KEPT = 100
"""Stripe retries an event for up to three days; a case sees far fewer events than this."""


class CaseState(BaseModel):
    """The whole state of one case. Mutated only by its own methods."""

    case: DunningCase
    """The start input."""
    policy: DunningPolicy
    """The policy captured at start."""
    day0: datetime
    """Day 0 of the schedule: when the case opened."""
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
    stage: Stage = Stage.CLASSIFYING
    """Where the case stands."""
    attempts: list[Attempt] = []
    """Charge attempts made."""
    emails: list[EmailRecord] = []
    """Emails sent."""
    failed_steps: list[str] = []
    """Email steps that failed permanently and are not tried again."""
    routed: list[RoutedTask] = []
    """Hand-offs made."""
    route_keys: list[str] = []
    """De-duplication keys of the hand-offs made."""
    timeline: list[TimelineEntry] = []
    """Every decision and event, in order."""
    next_action: NextAction | None = None
    """What happens next."""
    outcome: DunningOutcome | None = None
    """Set when the case closes."""
    card: int = 0
    """Generation of the payment method: +1 for each update."""
    payment_method_id: str | None = None
    """The payment method to charge, after an update that named one."""
    retry_requested: Resolution | None = None
    """A retry asked for outside the schedule, and what would be credited for it."""
    fixed_by: Resolution | None = None
    """The fix (PO, contact) credited if the case is paid after it."""
    pending_po: str | None = None
    """A PO number received, not yet put on the invoice."""
    pending_contact: Person | None = None
    """A billing contact received, not yet written to Stripe and the CRM."""
    pending_close: str | None = None
    """An operator or payment decision that closes the case, not yet carried out."""
    recheck: bool = False
    """Re-read the facts and classify again (after an internal fix)."""
    held: str | None = None
    """Why the case waits on an internal team after a provider refused a request."""
    paused_since: datetime | None = None
    """When an operator paused the case."""
    shift: timedelta = timedelta()
    """How far pauses and extensions pushed the remaining schedule."""
    revision: int = 0
    """Bumped whenever an outside event changes the state; wakes a sleeping case."""
    seen_events: list[str] = []
    """Provider events already acted on (the newest `SEEN_EVENTS_KEPT`)."""

    @classmethod
    def open(cls, case: DunningCase, started_at: datetime) -> "CaseState":
        """A new case, captured at its start."""
        # Policy days count from the moment the case opens, normally seconds after the
        # failure: a failure reported late still gets its whole schedule, never an
        # instant end state.
        state = cls(
            case=case, policy=case.effective_policy, day0=started_at, po_number=case.po_number
        )
        state.note(started_at, "opened", f"case opened for invoice {case.invoice_id}")
        return state

    # ---- derived facts -------------------------------------------------------------

    @property
    def clock(self) -> CaseClock:
        """The case's clock, shifted by pauses and extensions."""
        return CaseClock(self.day0, self.case.options.day_seconds, self.shift)

    @property
    def category(self) -> FailureCategory | None:
        """The current failure category."""
        return self.classification.category if self.classification else None

    @property
    def reason(self) -> str | None:
        """The current failure reason."""
        return self.classification.reason if self.classification else None

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
        return self.case.collection_method == "send_invoice"

    @property
    def end_state(self) -> EndStateRule:
        """How this case ends if nothing recovers it."""
        if self.is_net_terms:
            return self.policy.net_terms_end_state
        tier = CustomerTier.ENTERPRISE if self.is_enterprise else self.tier
        return self.policy.end_states[tier]

    @property
    def end_action(self) -> EndAction:
        """The end action to apply: a subscription action needs a subscription, so an
        invoice without one is marked uncollectible instead."""
        action = self.end_state.action
        on_subscription = action in (EndAction.CANCEL_SUBSCRIPTION, EndAction.PAUSE_SUBSCRIPTION)
        if on_subscription and self.case.subscription_id is None:
            return EndAction.MARK_UNCOLLECTIBLE
        return action

    @property
    def last_decline(self) -> tuple[FailureDetails | None, datetime]:
        """The newest decline on the current payment method, and when it happened."""
        for attempt in reversed(self.attempts_on_card):
            if attempt.outcome is AttemptOutcome.FAILED:
                return attempt.decline(), attempt.at
        original = self.case.failure if self.card == 0 else None
        return original, self.day0

    @property
    def attempts_on_card(self) -> list[Attempt]:
        """Attempts made on the current payment method."""
        return [a for a in self.attempts if a.card == self.card]

    @property
    def scheduled_attempts(self) -> int:
        """Retries of the schedule made so far."""
        return sum(1 for a in self.attempts if a.scheduled)

    @property
    def failed_attempts(self) -> list[Attempt]:
        """Attempts that were declined."""
        return [a for a in self.attempts if a.outcome is AttemptOutcome.FAILED]

    @property
    def is_closed(self) -> bool:
        """The case has its outcome."""
        return self.outcome is not None

    @property
    def waits_internally(self) -> bool:
        """The next move is an internal team's (a provider refused us, or the contract differs)."""
        return self.held is not None or self.reason == WorkflowReason.CONTRACT_MISMATCH

    def step_done(self, step: str) -> bool:
        """An email step was sent, or failed for good."""
        return step in self.failed_steps or any(e.step == step for e in self.emails)

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

    # ---- recording ----------------------------------------------------------------

    def note(self, at: datetime, event: str, detail: str = "") -> None:
        """Add a timeline entry."""
        self.timeline.append(TimelineEntry(at=at, event=event, detail=detail))

    def remember_event(self, event_id: str) -> None:
        """Remember an event, so a second delivery of it changes nothing."""
        self.seen_events = [*self.seen_events, event_id][-SEEN_EVENTS_KEPT:]

    def wake(self) -> None:
        """Mark an outside change so a sleeping case re-plans."""
        self.revision += 1

    def record_facts(
        self, account: AccountFacts, invoice: InvoiceFacts | None, now: datetime
    ) -> None:
        """Take the CRM's and Stripe's facts and classify the case."""
        self.account, self.invoice = account, invoice
        if invoice and invoice.po_number:
            self.po_number = invoice.po_number
        if not account.found:
            self.note(now, "crm_record_missing", "no CRM record: self-serve defaults apply")
        case = self.case.model_copy(update={"po_number": self.po_number})
        self.classify(classify(case, account, invoice), now)
        if invoice and invoice.is_settled:
            self.settled_outside(invoice.status, now)

    def classify(self, classification: Classification, now: datetime) -> None:
        """Adopt a (new) classification."""
        if classification != self.classification:
            self.classification = classification
            self.opened_as = self.opened_as or classification
            self.note(now, "classified", f"{classification.category}: {classification.reason}")

    def settled_outside(self, invoice_status: str, now: datetime) -> None:
        """Stripe says the invoice no longer needs collecting."""
        if invoice_status == "paid":
            resolution = self.fixed_by or Resolution.EXTERNAL_PAYMENT
            self.close(Outcome.RECOVERED, now, resolution=resolution)
        else:
            self.note(now, "invoice_settled", f"invoice is {invoice_status}: nothing to collect")
            self.close(Outcome.STOPPED, now)

    def record_charge(self, result: ChargeResult, scheduled: bool, now: datetime) -> None:
        """Take the result of a charge attempt."""
        credited = self.retry_requested or self.fixed_by or Resolution.RETRY
        self.retry_requested = None
        if result.status in ("already_paid", "not_payable"):
            self.settled_outside(result.invoice_status, now)
            return
        number = len(self.attempts) + 1
        decline = result.decline or FailureDetails()
        succeeded = result.status == "succeeded"
        self.attempts.append(
            Attempt(
                number=number,
                at=now,
                outcome=AttemptOutcome.SUCCEEDED if succeeded else AttemptOutcome.FAILED,
                decline_code=None if succeeded else decline.decline_code or decline.code,
                advice_code=None if succeeded else decline.advice_code,
                network_decline_code=None if succeeded else decline.network_decline_code,
                network_advice_code=None if succeeded else decline.network_advice_code,
                card=self.card,
                scheduled=scheduled,
            )
        )
        if succeeded:
            self.note(now, "charge_succeeded", f"attempt {number} paid the invoice")
            self.close(Outcome.RECOVERED, now, resolution=credited)
            return
        self.note(now, "charge_failed", f"attempt {number}: {decline.decline_code or decline.code}")
        self.classify(classify_decline(decline), now)

    def record_email(
        self, step: str, template: EmailTemplate, to: str, message_id: str | None, now: datetime
    ) -> None:
        """An email went out."""
        self.emails.append(
            EmailRecord(at=now, template=template, to=to, step=step, message_id=message_id)
        )
        self.note(now, "email_sent", f"{template}")

    def record_email_failed(self, step: str, error: str, now: datetime) -> None:
        """An email could not be sent; the step is not tried again."""
        self.failed_steps.append(step)
        self.note(now, "email_failed", f"{step}: {error}")

    def record_route(
        self, key: str, team: Team, reason: str, task_id: str | None, now: datetime
    ) -> None:
        """The case was handed to a team."""
        self.route_keys.append(key)
        self.routed.append(RoutedTask(at=now, team=team, reason=reason, task_id=task_id))
        self.note(now, "routed", f"{team}: {reason}")

    def record_po_applied(self, po_number: str, now: datetime) -> None:
        """The PO is on the invoice: the missing-PO failure is fixed."""
        self.pending_po, self.po_number = None, po_number
        self.note(now, "po_applied", "PO number put on the invoice")
        self._fixed(Resolution.PO_FIX, now)

    def record_contact_applied(self, contact: Person, now: datetime) -> None:
        """The billing contact is corrected: the wrong-contact failure is fixed."""
        self.pending_contact = None
        if self.account is not None:
            self.account = self.account.model_copy(
                update={"ap_contact": contact, "ap_contact_bounced": False}
            )
        self.note(now, "contact_applied", "billing contact corrected in Stripe and the CRM")
        self._fixed(Resolution.CONTACT_FIX, now)

    def _fixed(self, resolution: Resolution, now: datetime) -> None:
        before = self.classification
        self.reclassify(now)
        was_blocked = before is not None and before.category is FailureCategory.WORKFLOW_FAILURE
        if was_blocked and self.category is not FailureCategory.WORKFLOW_FAILURE:
            self.fixed_by = resolution
            if not self.is_net_terms:
                self.retry_requested = resolution

    def reclassify(self, now: datetime) -> None:
        """Classify again from what the case knows now."""
        case = self.case.model_copy(update={"po_number": self.po_number})
        self.classify(classify(case, self.account or AccountFacts(found=False), self.invoice), now)

    def hold(self, reason: str, now: datetime) -> None:
        """A provider refused a request for good: wait for an internal team."""
        self.held = reason
        self.note(now, "held", reason)

    def close(
        self,
        outcome: Outcome,
        now: datetime,
        *,
        resolution: Resolution | None = None,
        end_action: EndAction | None = None,
    ) -> None:
        """Close the case with its outcome."""
        if self.outcome is not None:
            return
        self.outcome = DunningOutcome(
            outcome=outcome,
            resolution=resolution,
            end_action=end_action,
            amount_recovered=self.case.amount_due if outcome is Outcome.RECOVERED else 0,
            attempts=len(self.attempts),
            emails_sent=len(self.emails),
            closed_at=now,
            days_open=round(max(self.clock.day_of(now), 0.0), 3),
        )
        self.stage, self.next_action = Stage.CLOSED, None
        self.pending_close = self.pending_po = None
        self.pending_contact = None
        detail = f"{outcome}" + (f" ({resolution})" if resolution else "")
        self.note(now, "closed", detail)

    # ---- presentation --------------------------------------------------------------

    def status(self) -> DunningStatus:
        """The `status` query's answer."""
        return DunningStatus(
            invoice_id=self.case.invoice_id,
            customer_id=self.case.customer_id,
            amount_due=self.case.amount_due,
            currency=self.case.currency,
            payment_method_type=self.case.payment_method_type,
            stage=self.stage,
            failure_category=self.category,
            failure_reason=self.reason,
            opened_as=self.opened_as.category if self.opened_as else None,
            customer_tier=self.account.tier if self.account else None,
            attempts=list(self.attempts),
            emails=list(self.emails),
            routed=list(self.routed),
            next_action=self.next_action,
            timeline=list(self.timeline),
            outcome=self.outcome,
        )
