"""When a signal or update does not fit a case.

`rejection(state, message)` says why a message cannot apply (None when it can) without
changing anything, so update validators, signal handlers and `transitions.receive`
share one rule.
"""

from dunning.contract.enums import OperatorAction, WorkflowReason
from dunning.contract.messages import (
    STRIPE_ACTOR,
    BillingContactCorrected,
    FromEvent,
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    PoNumberProvided,
    StripeEvent,
)
from dunning.machine.state import CaseState
from dunning.providers.requests import InvoiceActionKind

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
    echo = _echo(state, message)
    if echo is not None:
        return echo
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
    paused = state.is_paused
    if decision.action is OperatorAction.PAUSE and paused:
        return "the case is already paused"
    awaiting_approval = state.reason == WorkflowReason.APPROVAL_PENDING
    resumable = paused or state.waits_internally or awaiting_approval
    if decision.action is OperatorAction.RESUME and not resumable:
        return "the case is neither paused nor waiting on an internal team or an approval"
    if state.pending_close is not None:
        return f"the case is already closing ({state.pending_close})"
    return None


def _echo(state: CaseState, message: Message) -> str | None:
    """Stripe announcing the change the case itself is making to the invoice as it closes:
    the case closes as it meant to, however soon the announcement comes."""
    change = state.changing_invoice
    if change is InvoiceActionKind.PAID_OUT_OF_BAND and isinstance(message, InvoicePaid):
        return "Stripe announces the payment offline the case is recording"
    stopped_by_stripe = (
        isinstance(message, OperatorDecision)
        and message.action is OperatorAction.CANCEL_DUNNING
        and message.actor == STRIPE_ACTOR
    )
    if change is InvoiceActionKind.MARK_UNCOLLECTIBLE and stopped_by_stripe:
        return "Stripe announces the invoice the case is marking uncollectible"
    return None
