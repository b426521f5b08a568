"""What Stripe announces while a charge is out is most likely that charge's own answer: a
debit the bank settled at once, a payment racing the response. The case waits for the
charge's answer to say what it meant; an operator's cancel waits for it too, so money the
charge brought is counted."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from dunning.contract.enums import OperatorAction, Outcome, Resolution
from dunning.contract.messages import InvoicePaid, OperatorDecision, StripeEvent
from dunning.machine import transitions
from dunning.machine.decisions import CloseByOperator, ReadSettlement, Recheck
from dunning.machine.fit import Message
from dunning.machine.planner import plan
from dunning.machine.state import CaseState
from dunning.providers.facts import AccountFacts, CaseFacts, InvoiceFacts, InvoiceStatus
from dunning.providers.requests import ChargeResult, ChargeStatus
from harness.temporal import make_case

ACH = {"payment_method_type": "ach_debit", "failure": {"code": "insufficient_funds"}}
PROCESSING = ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=InvoiceStatus.OPEN)
PAID = ChargeResult(status=ChargeStatus.SUCCEEDED, invoice_status=InvoiceStatus.PAID)
DECLINED = ChargeResult(
    status=ChargeStatus.DECLINED,
    invoice_status=InvoiceStatus.OPEN,
    decline={"code": "card_declined", "decline_code": "insufficient_funds"},
)
PAID_BY_STRIPE = InvoicePaid(via="stripe", source_event_id="evt_paid")
CANCEL = OperatorDecision(action=OperatorAction.CANCEL_DUNNING, actor="ops")


def classified(**case: Any) -> tuple[CaseState, datetime]:
    """A case classified at its failure, and its day 1."""
    opened = make_case(**case)
    state = transitions.open_case(opened, opened.failed_at)
    transitions.record_facts(state, CaseFacts(account=AccountFacts()), opened.failed_at)
    return state, opened.failed_at + timedelta(days=1)


def heard_while_charging(message: Message, **case: Any) -> tuple[CaseState, datetime]:
    """A classified case with a charge out on day 1, that took `message` meanwhile."""
    state, now = classified(**case)
    transitions.charge_sent(state)
    assert transitions.receive(state, message, now) is None
    return state, now


def test_a_debit_s_answer_announced_before_the_charge_returns_is_read_at_once() -> None:
    returned = StripeEvent(type="invoice.payment_failed", source_event_id="evt_returned")
    state, now = heard_while_charging(returned, **ACH)
    transitions.record_charge(state, PROCESSING, True, 0, now)

    assert state.settling is not None and state.settling.check_at == now
    assert isinstance(plan(state, now).decision, ReadSettlement), "not the 14-day check"
    assert state.charge_out is None


@pytest.mark.parametrize("heard", [PAID_BY_STRIPE, CANCEL], ids=["a payment", "a cancel"])
def test_what_is_heard_while_the_charge_that_paid_is_out_credits_the_retry(
    heard: Message,
) -> None:
    state, now = heard_while_charging(heard)
    assert not state.is_closed, "the charge's answer comes first"
    transitions.record_charge(state, PAID, True, 0, now)

    assert state.outcome is not None
    assert (state.outcome.outcome, state.outcome.resolution, state.outcome.amount_recovered) == (
        Outcome.RECOVERED,
        Resolution.RETRY,
        state.case.amount_due,
    )
    assert [e.event for e in state.timeline].count("closed") == 1


def test_a_debit_paid_before_its_charge_returns_is_read_and_credits_the_retry() -> None:
    state, now = heard_while_charging(PAID_BY_STRIPE, **ACH)
    transitions.record_charge(state, PROCESSING, True, 0, now)
    assert isinstance(plan(state, now).decision, ReadSettlement)
    transitions.record_settlement(state, PAID, now)

    assert state.outcome is not None and state.outcome.resolution is Resolution.RETRY


def test_a_payment_announced_while_a_declined_charge_was_out_is_read_from_stripe() -> None:
    state, now = heard_while_charging(PAID_BY_STRIPE)
    transitions.record_charge(state, DECLINED, True, 0, now)

    assert not state.is_closed and isinstance(plan(state, now).decision, Recheck)
    due = state.case.amount_due
    paid = InvoiceFacts(status=InvoiceStatus.PAID, amount_due=due, amount_paid=due)
    transitions.record_facts(state, CaseFacts(invoice=paid), now)
    assert state.outcome is not None
    assert (state.outcome.outcome, state.outcome.resolution) == (
        Outcome.RECOVERED,
        Resolution.EXTERNAL_PAYMENT,
    )


def test_a_payment_announced_while_a_refused_charge_was_out_is_read_from_stripe() -> None:
    state, now = heard_while_charging(PAID_BY_STRIPE)
    transitions.hold(state, "stripe refused the charge", now)

    assert state.charge_out is None
    assert isinstance(plan(state, now).decision, Recheck)


def test_without_a_charge_out_a_payment_closes_the_case_as_before() -> None:
    state, now = classified()
    transitions.receive(state, PAID_BY_STRIPE, now)

    assert state.outcome is not None
    assert state.outcome.resolution is Resolution.EXTERNAL_PAYMENT


def test_a_cancel_while_a_declined_charge_was_out_stops_the_case_after_it() -> None:
    state, now = heard_while_charging(CANCEL)
    transitions.record_charge(state, DECLINED, True, 0, now)

    assert plan(state, now).decision == CloseByOperator(OperatorAction.CANCEL_DUNNING)


def test_a_cancel_while_a_refused_charge_was_out_stops_the_case() -> None:
    state, now = heard_while_charging(CANCEL)
    transitions.hold(state, "stripe refused the charge", now)

    assert state.outcome is not None and state.outcome.outcome is Outcome.STOPPED


def test_stripe_s_echo_of_a_charge_already_answered_changes_nothing_the_case_plans_with() -> None:
    state, now = classified()
    transitions.charge_sent(state)
    transitions.record_charge(state, DECLINED, True, 0, now)
    revision, planned = state.revision, plan(state, now)

    echo = StripeEvent(type="invoice.payment_failed", source_event_id="evt_echo")
    assert transitions.receive(state, echo, now) is None
    assert state.revision == revision, "a sleeping case would wake for nothing"
    assert plan(state, now) == planned
    assert state.timeline[-1].event == "stripe_event" and "evt_echo" in state.seen_events
    assert transitions.receive(state, echo, now) is not None, "heard once"

    updated = StripeEvent(type="invoice.updated", source_event_id="evt_updated")
    assert transitions.receive(state, updated, now) is None
    assert state.revision == revision + 1 and state.reread, "what moved is read"
