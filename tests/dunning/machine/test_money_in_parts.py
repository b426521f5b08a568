"""Money that moves in parts: a partial payment lowers what the case collects and asks for,
credit is resolution but not money, and the outcome says which was which."""

from datetime import datetime, timedelta

from dunning.contract.enums import EmailTemplate, Outcome, Resolution
from dunning.contract.messages import StripeEvent
from dunning.machine import transitions
from dunning.machine.decisions import Recheck
from dunning.machine.planner import plan
from dunning.machine.state import CaseState
from dunning.providers.facts import AccountFacts, CaseFacts, InvoiceFacts, InvoiceStatus
from dunning.views.notices import render_email
from harness.temporal import make_case


def opened(amount_due: int = 10_000) -> CaseState:
    case = make_case(amount_due=amount_due)
    state = transitions.open_case(case, case.failed_at)
    transitions.record_facts(state, facts(InvoiceStatus.OPEN), case.failed_at)
    return state


def facts(status: InvoiceStatus, paid: int = 0, credited: int = 0) -> CaseFacts:
    invoice = InvoiceFacts(status=status, amount_due=10_000, amount_paid=paid, credited=credited)
    return CaseFacts(account=AccountFacts(), invoice=invoice)


def later(state: CaseState, days: float) -> datetime:
    return state.case.failed_at + timedelta(days=days)


def test_an_announced_change_to_the_invoice_is_read_before_anything_else() -> None:
    state = opened()
    transitions.receive(
        state, StripeEvent(type="invoice.updated", source_event_id="e1"), later(state, 1)
    )
    assert isinstance(plan(state, later(state, 1)).decision, Recheck)


def test_a_partial_payment_lowers_the_amount_asked_for_and_counts_if_the_rest_is_lost() -> None:
    state = opened()
    transitions.record_facts(state, facts(InvoiceStatus.OPEN, paid=3_000), later(state, 2))

    assert state.amount_outstanding == 7_000
    email = render_email(
        state, EmailTemplate.REMINDER, "a@b.example", "reminder@3", later(state, 3)
    )
    assert "Amount due: 70.00 USD" in email.body
    assert "of which 30.00 USD already paid or credited" in email.body
    transitions.close(state, Outcome.END_STATE_APPLIED, later(state, 14))
    assert state.outcome is not None and state.outcome.amount_recovered == 3_000


def test_credit_alone_resolves_the_invoice_but_recovers_nothing() -> None:
    state = opened()
    transitions.record_facts(state, facts(InvoiceStatus.PAID, credited=10_000), later(state, 2))

    assert state.outcome is not None
    assert (state.outcome.outcome, state.outcome.resolution) == (Outcome.STOPPED, None)
    assert (state.outcome.amount_recovered, state.outcome.amount_credited) == (0, 10_000)


def test_a_recovery_after_part_credit_counts_only_the_money() -> None:
    state = opened()
    transitions.record_facts(state, facts(InvoiceStatus.OPEN, credited=2_500), later(state, 1))
    transitions.record_facts(
        state, facts(InvoiceStatus.PAID, paid=7_500, credited=2_500), later(state, 3)
    )

    assert state.outcome is not None
    assert (state.outcome.outcome, state.outcome.resolution) == (
        Outcome.RECOVERED,
        Resolution.EXTERNAL_PAYMENT,
    )
    assert (state.outcome.amount_recovered, state.outcome.amount_credited) == (7_500, 2_500)
