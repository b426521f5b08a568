"""Every change to a case, in one place.

Messages taken, effects' results recorded, holds, resumes, closes and what the case
shows next: each is a function here, and nothing else assigns to a `CaseState`. The
workflow, the property tests and the backtest all change cases through this module.
It is longer than most modules on purpose: a reader looking for how a case changes
reads one file.
"""

from datetime import UTC, datetime, time, timedelta

from dunning.contract.case import DunningCase, FailureDetails
from dunning.contract.enums import (
    AttemptOutcome,
    CollectionMethod,
    EmailTemplate,
    EndAction,
    FailureCategory,
    OperatorAction,
    Outcome,
    Resolution,
    Stage,
    Team,
    WorkflowReason,
)
from dunning.contract.messages import (
    BillingContactCorrected,
    FromEvent,
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    PoNumberProvided,
    StripeEvent,
)
from dunning.contract.money import format_amount
from dunning.contract.status import (
    Attempt,
    DunningOutcome,
    EmailRecord,
    NextAction,
    RoutedTask,
    TimelineEntry,
)
from dunning.machine.fit import Message, rejection
from dunning.machine.pending import ChargeOut, PendingDebit
from dunning.machine.state import CaseState
from dunning.providers.cards import CardUse
from dunning.providers.facts import AccountFacts, CaseFacts, InvoiceFacts, InvoiceStatus, Person
from dunning.providers.requests import ChargeResult, ChargeStatus, InvoiceActionKind
from dunning.rules.classify import Classification, classify, classify_decline

SEEN_EVENTS_KEPT = 100
"""Stripe retries an event for up to three days; a case sees far fewer events than this."""
SUMMARY_EVENT = "summarized"
TIMELINE_KEPT_ON_CARRY = 50
"""The newest timeline entries a case keeps whole when it carries into a fresh history."""
SETTLEMENT_EVENTS = frozenset({"invoice.paid", "invoice.payment_failed"})
"""Stripe's events that answer a settling bank debit."""
INVOICE_CHANGED_EVENTS = frozenset({"invoice.updated", "credit_note.created", "invoice.paid"})
"""Stripe's events after which the case reads the invoice again (money moved in parts)."""


def open_case(case: DunningCase, started_at: datetime, ledger_key: str | None = None) -> CaseState:
    """A new case, captured at its start."""
    # Policy days count from the moment the case opens, normally seconds after the
    # failure: a failure reported late still gets its whole schedule, never an
    # instant end state. An invoice sent for payment counts from its due date instead:
    # its terms ran from there, and finance counts days past due.
    due = _due_moment(case)
    day0 = started_at
    if due is not None:
        past_due = (case.failed_at - due) / timedelta(days=1)
        day0 -= timedelta(seconds=past_due * case.options.day_seconds)
    state = CaseState(
        case=case,
        policy=case.effective_policy,
        day0=day0,
        calendar_day0=due,
        po_number=case.po_number,
        ledger_key=ledger_key,
    )
    note(state, started_at, "opened", f"case opened for invoice {case.invoice_id}")
    if case.predunning is not None:
        asked = ", ".join(case.predunning.asked) or "nothing"
        detail = f"{case.predunning.watch_id} asked {asked} before the renewal"
        note(state, started_at, "watched", detail)
    return state


def _due_moment(case: DunningCase) -> datetime | None:
    """The start of the due date of an invoice sent for payment, when it lies before the
    failure was reported (None: the case counts from its opening)."""
    if case.collection_method is not CollectionMethod.SEND_INVOICE or case.due_date is None:
        return None
    due = datetime.combine(case.due_date, time(), tzinfo=UTC)
    return due if due < case.failed_at else None


def note(state: CaseState, at: datetime, event: str, detail: str = "") -> None:
    """Add a timeline entry."""
    state.timeline.append(TimelineEntry(at=at, event=event, detail=detail))


# ---- messages -----------------------------------------------------------------------


def receive(state: CaseState, message: Message, now: datetime) -> str | None:
    """Take a message that fits the case, or say why it does not and change nothing.

    A signal that does not fit is then recorded with `ignore`; an update is refused.
    """
    why = rejection(state, message)
    if why is not None:
        return why
    if isinstance(message, FromEvent) and message.source_event_id is not None:
        state.seen_events = [*state.seen_events, message.source_event_id][-SEEN_EVENTS_KEPT:]
    if isinstance(message, StripeEvent) and not _stripe_event_heard(state, message, now):
        return None  # nothing the case plans with changed: a sleeping case sleeps on
    state.revision += 1
    match message:
        case PaymentMethodUpdated():
            _new_payment_method(state, message, now)
        case InvoicePaid() if state.charge_out is not None:
            note(state, now, "invoice_paid", "paid while a charge was out: its answer says whose")
            _answer_heard(state, now, paid=True)
        case InvoicePaid() if state.settling is not None:
            # Most likely the debit itself settled: Stripe's invoice says whose money it was.
            note(state, now, "invoice_paid", "paid while a bank debit settled: reading Stripe")
            _settlement_heard(state, now)
        case InvoicePaid():
            via = f" via {message.via}" if message.via else ""
            note(state, now, "invoice_paid", f"paid outside the workflow{via}")
            close(state, Outcome.RECOVERED, now, resolution=_credit(state))
        case PoNumberProvided():
            state.pending_po = message.po_number
            note(state, now, "po_number_provided", f"by {message.provided_by or 'unknown'}")
        case BillingContactCorrected():
            state.pending_contact = Person(name=message.name, email=message.email)
            note(state, now, "billing_contact_corrected", f"by {message.provided_by or 'unknown'}")
        case OperatorDecision():
            _decide(state, message, now)
    return None


def ignore(state: CaseState, now: datetime, signal: str, why: str) -> None:
    """A signal that changed nothing: the timeline says why it was ignored."""
    note(state, now, "signal_ignored", f"{signal}: {why}" if signal else why)


def _new_payment_method(state: CaseState, message: PaymentMethodUpdated, now: datetime) -> None:
    state.card += 1
    state.payment_method_id = message.payment_method_id
    if message.card_fingerprint is not None:
        state.card_fingerprints = {**state.card_fingerprints, state.card: message.card_fingerprint}
    note(state, now, "payment_method_updated", "the customer gave a new payment method")
    if state.category is not FailureCategory.WORKFLOW_FAILURE:
        state.retry_requested = Resolution.PAYMENT_METHOD_UPDATE


def _stripe_event_heard(state: CaseState, event: StripeEvent, now: datetime) -> bool:
    """Note what Stripe announced; whether it changed what the case plans with. The echo
    of a charge the case already has the answer to (each declined retry is announced
    `invoice.payment_failed`) changes nothing."""
    note(state, now, "stripe_event", f"{event.type} ({event.source_event_id})")
    changed = False
    answering = state.charge_out is not None or state.settling is not None
    if event.type in SETTLEMENT_EVENTS and answering:
        _answer_heard(state, now, event.occurred_at, paid=event.type == "invoice.paid")
        changed = True
    if event.type in INVOICE_CHANGED_EVENTS and not state.is_closed:
        state.reread = changed = True
    return changed


def _answer_heard(
    state: CaseState, now: datetime, occurred: datetime | None = None, *, paid: bool
) -> None:
    """Stripe announced the invoice paid or failed: the answer to a charge still out, kept
    until the charge's own answer says what it meant, or a settling debit's."""
    out = state.charge_out
    if out is None:
        _settlement_heard(state, now, occurred)
        return
    answered_on = occurred or out.answered_on
    update = {"answered": True, "answered_on": answered_on, "paid": out.paid or paid}
    state.charge_out = out.model_copy(update=update)


def _settlement_heard(state: CaseState, now: datetime, occurred: datetime | None = None) -> None:
    """Stripe announced an answer for the invoice: a settling debit is read now. When the
    event says when the bank answered, that moment (on the case's clock, between the debit
    and now) is the answer's, however late the event came."""
    debit = state.settling
    if debit is None:
        return
    answered = None
    if occurred is not None:
        answered = min(max(state.clock.from_calendar(occurred), debit.charged_at), now)
    state.settling = debit.model_copy(update={"check_at": now, "answered_at": answered})


def _decide(state: CaseState, decision: OperatorDecision, now: datetime) -> None:
    remark = f" ({decision.note})" if decision.note else ""
    note(state, now, "operator_decision", f"{decision.action} by {decision.actor}{remark}")
    match decision.action:
        case OperatorAction.PAUSE:
            state.paused_since = now
            state.review_at = now + state.clock.days(state.policy.hold_review_days)
        case OperatorAction.RESUME if state.paused_since is not None:
            _push_schedule(state, now - state.paused_since)
            state.paused_since = None
            # Back to where it was: a case still waiting on a team keeps being reviewed.
            review = now + state.clock.days(state.policy.hold_review_days)
            state.review_at = review if state.waits_internally else None
        case OperatorAction.RESUME:
            # The team says it is fixed (or the customer approved the invoice): read the
            # facts again. Should the case still wait on a team, its reviews go on.
            if state.reason == WorkflowReason.APPROVAL_PENDING:
                state.approval_granted = True
            state.held, state.recheck = None, True
        case OperatorAction.EXTEND:
            _push_schedule(state, state.clock.days(decision.days or 0))
        case OperatorAction.CANCEL_DUNNING if state.charge_out is not None:
            # The charge out may move money: its answer is taken first, then the case stops.
            state.pending_close = decision.action
        case OperatorAction.CANCEL_DUNNING:
            close(state, Outcome.STOPPED, now)
        case OperatorAction.WRITE_OFF | OperatorAction.MARK_PAID_OFFLINE:
            state.pending_close = decision.action


def _push_schedule(state: CaseState, by: timedelta) -> None:
    """An operator's pause or extension moves the rest of the schedule, and the end the
    final notice promised."""
    state.shift += by
    if state.end_promised_at is not None:
        state.end_promised_at += by


# ---- effects' results -----------------------------------------------------------------


def record_facts(state: CaseState, facts: CaseFacts, now: datetime) -> None:
    """Take the CRM's and Stripe's facts (keeping what a refusing provider did not say),
    classify the case, and take back a fix an internal team made."""
    for refusal in facts.refusals:
        note(state, now, "provider_refused", refusal)
    if facts.collection_taken_over is not None:
        state.collection_owned = True
        was = "turned off" if facts.collection_taken_over else "already off"
        note(state, now, "collection_taken_over", f"Stripe's automatic collection {was}")
    account = facts.account or state.account or AccountFacts(found=False)
    invoice = facts.invoice or state.invoice
    rechecked, blocked = state.recheck, state.is_blocked
    state.account, state.invoice, state.recheck, state.reread = account, invoice, False, False
    if facts.invoice is not None:
        _money_moved(state, facts.invoice, now)
    if invoice and invoice.po_number:
        state.po_number = invoice.po_number
    if invoice and invoice.card_fingerprint and 0 not in state.card_fingerprints:
        state.card_fingerprints = {**state.card_fingerprints, 0: invoice.card_fingerprint}
    if not account.found:
        note(state, now, "crm_record_missing", "no CRM record: self-serve defaults apply")
    _reclassify(state, now)
    if rechecked:
        _take_fix(state, blocked, Resolution.OPERATOR)
    if invoice and invoice.is_settled:
        _settled_outside(state, invoice.status, now)


def _reclassify(state: CaseState, now: datetime) -> None:
    """Classify again from what the case knows now."""
    case = state.case.model_copy(update={"po_number": state.po_number})
    account = state.account or AccountFacts(found=False)
    if state.approval_granted:
        account = account.model_copy(update={"approval_pending": False})
    _adopt(state, classify(case, account, state.invoice), now)


def _adopt(state: CaseState, classification: Classification, now: datetime) -> None:
    if classification != state.classification:
        state.classification = classification
        state.opened_as = state.opened_as or classification
        note(state, now, "classified", f"{classification.category}: {classification.reason}")


def _money_moved(state: CaseState, invoice: InvoiceFacts, now: datetime) -> None:
    """Part of the invoice was paid or credited: the case goes on for what remains."""
    if invoice.amount_paid > state.amount_paid and invoice.status is InvoiceStatus.OPEN:
        paid, due = _amount(state, invoice.amount_paid), _amount(state, state.case.amount_due)
        note(state, now, "partial_payment", f"{paid} received of {due}")
    if invoice.credited > state.credited:
        note(state, now, "credit_note", f"{_amount(state, invoice.credited)} credited")
    state.amount_paid = max(state.amount_paid, invoice.amount_paid)
    state.credited = max(state.credited, invoice.credited)


def _amount(state: CaseState, minor_units: int) -> str:
    return format_amount(minor_units, state.case.currency)


def _settled_outside(state: CaseState, invoice_status: InvoiceStatus, now: datetime) -> None:
    """Stripe says the invoice no longer needs collecting."""
    if invoice_status is InvoiceStatus.PAID and state.credited and not state.amount_paid:
        # Paid by credit alone: resolved, but no money came in.
        note(state, now, "resolved_by_credit", f"{_amount(state, state.credited)} credited")
        close(state, Outcome.STOPPED, now)
    elif invoice_status is InvoiceStatus.PAID:
        close(state, Outcome.RECOVERED, now, resolution=_credit(state))
    else:
        note(state, now, "invoice_settled", f"invoice is {invoice_status}: nothing to collect")
        close(state, Outcome.STOPPED, now)


def invoice_change_sent(state: CaseState, change: InvoiceActionKind) -> None:
    """The case asked Stripe to change the invoice as it closes: until it has closed, Stripe
    announcing that change is its echo (`dunning.machine.fit`)."""
    state.changing_invoice = change


def charge_sent(state: CaseState) -> None:
    """A charge went out to Stripe: what Stripe announces of the invoice until its answer
    is recorded waits for that answer (`record_charge`)."""
    state.charge_out = ChargeOut()


def record_charge(
    state: CaseState, result: ChargeResult, scheduled: bool, card: int, now: datetime
) -> None:
    """Take the result of a charge attempt made on payment method generation `card`. A
    newer payment method that arrived while it ran keeps its own retry; an answer Stripe
    announced while it ran is this debit's, read at once, or, for a charge that did not
    pay, someone else's payment, read from Stripe."""
    out, state.charge_out = state.charge_out, None
    if result.status is ChargeStatus.CARD_BUSY:
        # Not charged: the retry (and any retry asked for) waits for the card's window.
        _card_seen(state, card, result.card_uses, now)
        detail = f"{len(result.card_uses)} recent charge(s) on the card for other invoices"
        note(state, now, "card_busy", f"not charged: {detail} fill its network caps")
        _paid_meanwhile(state, out)
        return
    current = card == state.card
    requested = state.retry_requested if current else None
    credited = requested or state.fixed_by or Resolution.RETRY
    if current:
        state.retry_requested = None
    if result.status in (ChargeStatus.ALREADY_PAID, ChargeStatus.NOT_PAYABLE):
        _settled_outside(state, result.invoice_status, now)
        return
    if result.card_fingerprint is not None:
        known = state.card_fingerprints.get(card)
        if result.paid and known is not None and known != result.card_fingerprint:
            # Paid by a card the customer attached before the case heard of it (Stripe
            # charges the customer's default): the money is the new card's, as it would
            # have been had the update come first, and says nothing of the old card's.
            card, credited = card + 1, Resolution.PAYMENT_METHOD_UPDATE
            note(state, now, "paid_by_new_card", "the customer's new card paid the retry")
        state.card_fingerprints = {**state.card_fingerprints, card: result.card_fingerprint}
    if result.card_uses:
        _card_seen(state, card, result.card_uses, now)
    if result.status is ChargeStatus.PROCESSING:
        number = len(state.attempts) + 1
        check_at = now + state.clock.days(state.policy.settlement_check_days)
        state.settling = PendingDebit(
            attempt=number,
            card=card,
            scheduled=scheduled,
            credit=credited,
            charged_at=now,
            check_at=check_at,
        )
        note(state, now, "charge_processing", f"attempt {number}: the bank debit is settling")
        if out is not None and out.answered:
            _settlement_heard(state, now, out.answered_on)
        return
    _count_attempt(state, result, scheduled, card, credited, charged_at=now, now=now)
    _paid_meanwhile(state, out)


def _paid_meanwhile(state: CaseState, out: ChargeOut | None) -> None:
    """Stripe announced the invoice paid while a charge that did not pay it was out:
    someone else paid, and the case reads Stripe again to know what came in."""
    if out is not None and out.paid and not state.is_closed:
        state.reread = True


def _card_seen(state: CaseState, card: int, uses: list[CardUse], now: datetime) -> None:
    """What Stripe listed of the card's other charges when the case asked to charge it."""
    fingerprint = state.card_fingerprints.get(card)
    if fingerprint is None:
        return
    state.card_read, state.card_uses = (fingerprint, now), list(uses)


def record_settlement(state: CaseState, result: ChargeResult, now: datetime) -> None:
    """Take what Stripe says of the settling debit: still processing (the case waits on, and
    looks again later), or settled: paid, or returned by the bank, which counts as the
    attempt's decline at the moment of the debit."""
    debit = state.settling
    assert debit is not None, "no bank debit is settling"
    if result.status is ChargeStatus.PROCESSING:
        days = state.policy.settlement_check_days
        state.settling = debit.model_copy(
            update={
                "check_at": now + state.clock.days(days),
                "checks": debit.checks + 1,
                "answered_at": None,  # the event was not the bank's answer after all
            }
        )
        waited = state.clock.in_days(now - debit.charged_at)
        note(
            state,
            now,
            "settlement_pending",
            f"attempt {debit.attempt}: still processing after {waited:.1f} days",
        )
        return
    state.settling, state.debit_answered_at = None, debit.answered_at or now
    if result.status in (ChargeStatus.ALREADY_PAID, ChargeStatus.NOT_PAYABLE):
        _settled_outside(state, result.invoice_status, now)
        return
    _count_attempt(
        state,
        result,
        debit.scheduled,
        debit.card,
        debit.credit,
        charged_at=debit.charged_at,
        now=now,
    )


def _count_attempt(
    state: CaseState,
    result: ChargeResult,
    scheduled: bool,
    card: int,
    credited: Resolution,
    *,
    charged_at: datetime,
    now: datetime,
) -> None:
    """An attempt's money moved or was refused: it counts, at the moment it was made."""
    number = len(state.attempts) + 1
    succeeded = result.status is ChargeStatus.SUCCEEDED
    decline = FailureDetails() if succeeded else result.decline or FailureDetails()
    state.attempts.append(
        Attempt(
            number=number,
            at=charged_at,
            outcome=AttemptOutcome.SUCCEEDED if succeeded else AttemptOutcome.FAILED,
            decline_code=decline.decline_code or decline.code,
            advice_code=decline.advice_code,
            network_decline_code=decline.network_decline_code,
            network_advice_code=decline.network_advice_code,
            card=card,
            scheduled=scheduled,
        )
    )
    if succeeded:
        note(state, now, "charge_succeeded", f"attempt {number} paid the invoice")
        close(state, Outcome.RECOVERED, now, resolution=credited)
        return
    note(state, now, "charge_failed", f"attempt {number}: {decline.decline_code or decline.code}")
    _adopt(state, classify_decline(decline), now)


def record_email(
    state: CaseState,
    step: str,
    template: EmailTemplate,
    to: str,
    message_id: str | None,
    now: datetime,
    *,
    rendered_at: datetime | None = None,
) -> None:
    """An email went out. A final notice handed to the provider at `rendered_at` named the
    date of the end action: the case keeps that promise, unless the provider took longer
    than the policy's tolerance to take it, when the notice period counts from `now`."""
    if template is EmailTemplate.FINAL_NOTICE:
        handed = rendered_at or now
        named = state.end_action_at(handed)
        slow = now - handed > state.lateness_tolerance
        state.end_promised_at = max(named, state.end_action_at(now)) if slow else named
    state.emails.append(
        EmailRecord(at=now, template=template, to=to, step=step, message_id=message_id)
    )
    note(state, now, "email_sent", f"{template}")


def record_email_failed(state: CaseState, step: str, error: str, now: datetime) -> None:
    """An email could not be sent; the step is not tried again."""
    state.failed_steps.append(step)
    note(state, now, "email_failed", f"{step}: {error}")


def record_route(
    state: CaseState,
    key: str,
    team: Team,
    reason: str,
    task_id: str | None,
    now: datetime,
    *,
    reviewed_again: bool = False,
) -> None:
    """The case was handed to a team (`task_id` None: the CRM refused the task). A hand-off
    of a case on hold is `reviewed_again` after the policy's review period."""
    state.route_keys.append(key)
    state.routed.append(RoutedTask(at=now, team=team, reason=reason, task_id=task_id))
    if reviewed_again:
        state.review_at = now + state.clock.days(state.policy.hold_review_days)
    note(state, now, "routed", f"{team}: {reason}")


def record_po_applied(state: CaseState, po_number: str, now: datetime) -> None:
    """The PO is on the invoice: the missing-PO failure is fixed."""
    state.pending_po, state.po_number = None, po_number
    note(state, now, "po_applied", "PO number put on the invoice")
    _fixed(state, Resolution.PO_FIX, now)


def record_contact_applied(state: CaseState, contact: Person, now: datetime) -> None:
    """The billing contact is corrected: the wrong-contact failure is fixed."""
    state.pending_contact = None
    if state.account is not None:
        state.account = state.account.model_copy(
            update={"ap_contact": contact, "ap_contact_bounced": False}
        )
    note(state, now, "contact_applied", "billing contact corrected in Stripe and the CRM")
    _fixed(state, Resolution.CONTACT_FIX, now)


def _fixed(state: CaseState, resolution: Resolution, now: datetime) -> None:
    blocked = state.is_blocked
    _reclassify(state, now)
    _take_fix(state, blocked, resolution)


def _take_fix(state: CaseState, was_blocked: bool, resolution: Resolution) -> None:
    """A fix that made a blocked invoice collectable is credited if the case is paid after
    it, and an invoice that is charged asks for a retry now."""
    if was_blocked and not state.is_blocked and not state.is_closed:
        state.fixed_by = resolution
        if not state.is_net_terms:
            state.retry_requested = resolution


def _credit(state: CaseState) -> Resolution:
    """What a payment made outside the case is credited to."""
    return state.fixed_by or Resolution.EXTERNAL_PAYMENT


def catch_up(state: CaseState, due: datetime, now: datetime) -> None:
    """The case meant to be at `due` and is at `now`. Later than the policy's tolerance (an
    outage, a worker down, a provider slow for hours), its remaining schedule moves by the
    lateness, as a pause moves it: missed retries are still made and the emails keep
    their spacing. A paused case moves when it resumes."""
    late = now - due
    clock = state.clock
    if state.is_closed or state.is_paused:
        return
    if late <= state.lateness_tolerance:
        return
    state.shift += late
    note(state, now, "late", f"{clock.in_days(late):.2f} days late: the schedule moves by it")


def hold(state: CaseState, reason: str, now: datetime) -> None:
    """A provider refused a request for good: drop what was pending and wait for an
    internal team, with a review date."""
    out, state.charge_out = state.charge_out, None
    state.changing_invoice = None  # refused: Stripe did not change the invoice
    if state.pending_close is OperatorAction.CANCEL_DUNNING:  # asked for while a charge ran
        close(state, Outcome.STOPPED, now)
        return
    state.pending_close = state.pending_po = None
    state.pending_contact = None
    _paid_meanwhile(state, out)
    state.held = reason
    state.review_at = now + state.clock.days(state.policy.hold_review_days)
    note(state, now, "held", reason)


def close(
    state: CaseState,
    outcome: Outcome,
    now: datetime,
    *,
    resolution: Resolution | None = None,
    end_action: EndAction | None = None,
) -> None:
    """Close the case with its outcome (a closed case stays as it closed)."""
    if state.outcome is not None:
        return
    state.outcome = DunningOutcome(
        outcome=outcome,
        resolution=resolution,
        end_action=end_action,
        amount_recovered=_money_received(state, outcome),
        amount_credited=state.credited,
        attempts=len(state.attempts),
        emails_sent=len(state.emails),
        closed_at=now,
        days_open=round(max(state.clock.day_of(now), 0.0), 3),
    )
    state.stage, state.next_action, state.review_at = Stage.CLOSED, None, None
    state.changing_invoice = None
    state.pending_close = state.pending_po = None
    state.pending_contact = None
    detail = f"{outcome}" + (f" ({resolution})" if resolution else "")
    note(state, now, "closed", detail)


def _money_received(state: CaseState, outcome: Outcome) -> int:
    """A recovered invoice brought all but its credit; any other, its partial payments."""
    if outcome is Outcome.RECOVERED:
        return max(state.case.amount_due - state.credited, 0)
    return state.amount_paid


# ---- what the case shows, and its long life ---------------------------------------------


def show(state: CaseState, stage: Stage, next_action: NextAction | None) -> None:
    """Where an open case stands and what it will do next, as operators see it."""
    if not state.is_closed:
        state.stage, state.next_action = stage, next_action


def carry_over(state: CaseState, now: datetime) -> None:
    """Prepare the state for a fresh history: the oldest timeline entries are counted
    into one summary entry, the newest kept whole."""
    keep = [e for e in state.timeline if e.event != SUMMARY_EVENT][-TIMELINE_KEPT_ON_CARRY:]
    older = [e for e in state.timeline[: -len(keep) or None] if e.event != SUMMARY_EVENT]
    counts = dict(state.summarized)
    for entry in older:
        counts[entry.event] = counts.get(entry.event, 0) + 1
    state.summarized = counts
    tally = ", ".join(f"{event} x{n}" for event, n in sorted(counts.items()))
    summary = TimelineEntry(
        at=keep[0].at if keep else now,
        event=SUMMARY_EVENT,
        detail=f"{sum(counts.values())} earlier entries: {tally}",
    )
    state.timeline = [summary, *keep]
    state.generation += 1
    note(state, now, "carried_over", f"history {state.generation + 1} of the case begins")
