"""What each signal or update means for a case, and when it does not fit.

`rejection(state, message)` says why a message cannot apply (None when it can) without
changing anything, so update validators and signal handlers share one rule.
`apply(state, message, now)` carries it out.
"""

from datetime import datetime

from dunning.enums import FailureCategory, OperatorAction, Outcome, Resolution, WorkflowReason
from dunning.facts import Person
from dunning.messages import (
    BillingContactCorrected,
    FromEvent,
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    PoNumberProvided,
    StripeEvent,
)
from dunning.state import CaseState

Message = (
    StripeEvent
    | PaymentMethodUpdated
    | InvoicePaid
    | PoNumberProvided
    | BillingContactCorrected
    | OperatorDecision
)


def rejection(state: CaseState, message: Message) -> str | None:
    """Why `message` does not fit the case now, or None when it does."""
    event = message.source_event_id if isinstance(message, FromEvent) else None
    if event is not None and event in state.seen_events:
        return f"event {event} was already handled"
    if isinstance(message, StripeEvent):
        return None
    if state.is_closed:
        return "the case is closed"
    if isinstance(message, PaymentMethodUpdated) and state.is_net_terms:
        return "the invoice is paid by the customer's AP team, not charged"
    if isinstance(message, PoNumberProvided) and state.reason != WorkflowReason.MISSING_PO:
        return "the case is not waiting for a PO number"
    if isinstance(message, BillingContactCorrected) and not (
        state.reason == WorkflowReason.WRONG_BILLING_CONTACT or state.is_net_terms
    ):
        return "the case does not send invoices to a billing contact"
    if isinstance(message, OperatorDecision):
        return _decision_rejection(state, message)
    return None


def _decision_rejection(state: CaseState, decision: OperatorDecision) -> str | None:
    paused = state.paused_since is not None
    if decision.action is OperatorAction.PAUSE and paused:
        return "the case is already paused"
    if decision.action is OperatorAction.RESUME and not (paused or state.waits_internally):
        return "the case is neither paused nor waiting on an internal team"
    if state.pending_close is not None:
        return f"the case is already closing ({state.pending_close})"
    return None


def apply(state: CaseState, message: Message, now: datetime) -> None:
    """Carry out a message that fits (see `rejection`)."""
    state.wake()
    if isinstance(message, FromEvent) and message.source_event_id is not None:
        state.remember_event(message.source_event_id)
    if isinstance(message, StripeEvent):
        state.note(now, "stripe_event", f"{message.type} ({message.source_event_id})")
    elif isinstance(message, PaymentMethodUpdated):
        state.card += 1
        state.payment_method_id = message.payment_method_id
        state.note(now, "payment_method_updated", "the customer gave a new payment method")
        if state.category is not FailureCategory.WORKFLOW_FAILURE:
            state.retry_requested = Resolution.PAYMENT_METHOD_UPDATE
    elif isinstance(message, InvoicePaid):
        via = f" via {message.via}" if message.via else ""
        state.note(now, "invoice_paid", f"paid outside the workflow{via}")
        state.close(
            Outcome.RECOVERED, now, resolution=state.fixed_by or Resolution.EXTERNAL_PAYMENT
        )
    elif isinstance(message, PoNumberProvided):
        state.pending_po = message.po_number
        state.note(now, "po_number_provided", f"by {message.provided_by or 'unknown'}")
    elif isinstance(message, BillingContactCorrected):
        state.pending_contact = Person(name=message.name, email=message.email)
        state.note(now, "billing_contact_corrected", f"by {message.provided_by or 'unknown'}")
    else:
        _apply_decision(state, message, now)


def _apply_decision(state: CaseState, decision: OperatorDecision, now: datetime) -> None:
    note = f" ({decision.note})" if decision.note else ""
    state.note(now, "operator_decision", f"{decision.action} by {decision.actor}{note}")
    match decision.action:
        case OperatorAction.PAUSE:
            state.paused_since = now
        case OperatorAction.RESUME:
            if state.paused_since is not None:
                state.shift += now - state.paused_since
                state.paused_since = None
            else:
                state.held, state.recheck = None, True
        case OperatorAction.EXTEND:
            state.shift += state.clock.days(decision.days or 0)
        case OperatorAction.CANCEL_DUNNING:
            state.close(Outcome.STOPPED, now)
        case OperatorAction.WRITE_OFF | OperatorAction.MARK_PAID_OFFLINE:
            state.pending_close = decision.action
