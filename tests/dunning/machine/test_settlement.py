"""Bank debits settle days after the charge: the case waits for the bank's answer, counts
the attempt only then (at the moment of the debit), and a return counts against NACHA's
two re-presentments."""

from datetime import datetime, timedelta
from typing import Any

from dunning.contract.case import FailureDetails
from dunning.contract.enums import EmailTemplate, NextActionKind, Outcome, Resolution, Stage, Team
from dunning.contract.messages import InvoicePaid, PaymentMethodUpdated, StripeEvent
from dunning.machine import transitions
from dunning.machine.planner import plan
from dunning.machine.state import CaseState
from dunning.providers.facts import AccountFacts, CaseFacts
from dunning.providers.requests import ChargeResult, ChargeStatus
from dunning.rules.policy import DunningPolicy
from harness.temporal import make_case
from lab.scripted import SUCCEEDED, ScriptedProviders
from lab.virtual import VirtualClock, simulate

R01 = FailureDetails(code="insufficient_funds", network_decline_code="R01")
ACH_FAILURE = {"code": "insufficient_funds", "network_decline_code": "R01"}


def run(outcomes: list[Any], settles_after_days: float, **kwargs: Any):
    case = make_case(payment_method_type="ach_debit", failure=ACH_FAILURE)
    clock = VirtualClock(case.failed_at)
    providers = ScriptedProviders(
        outcomes=outcomes,
        settles_after=timedelta(days=settles_after_days),
        clock=clock,
        account=kwargs.pop("account", AccountFacts()),
    )
    return simulate(case, providers, clock=clock, **kwargs), providers


def day(state: CaseState, moment: datetime) -> float:
    return round(state.clock.day_of(moment), 2)


def test_a_debit_that_settles_recovers_on_the_retry_at_the_moment_of_the_debit() -> None:
    state, providers = run([SUCCEEDED], settles_after_days=4)

    assert state.outcome is not None and state.outcome.outcome is Outcome.RECOVERED
    assert state.outcome.resolution is Resolution.RETRY
    assert [day(state, a.at) for a in state.attempts] == [3], "counted when it was debited"
    # Nobody is told the payment failed while the bank is still answering: the day-3
    # reminder waits, and the debit pays before it goes out.
    assert all(e.template is not EmailTemplate.REMINDER for e in state.emails)
    settled = [e for e in state.timeline if e.event == "closed"]
    assert day(state, settled[0].at) == 17, "read on the policy's check, 14 days after"
    assert providers.named("read_settlement") == [state.case.invoice_id]


def test_returns_count_against_the_two_representments() -> None:
    state, providers = run([R01], settles_after_days=2)

    assert [a.network_decline_code for a in state.attempts] == ["R01", "R01"]
    # The return is read on the day-17 check; presented again a day after that answer.
    assert [day(state, a.at) for a in state.attempts] == [3, 18]
    assert len(providers.named("charge_invoice")) == 2, "no third presentment"
    assert state.outcome is not None and state.outcome.outcome is Outcome.END_STATE_APPLIED


def test_the_settlement_event_wakes_the_case_before_its_check() -> None:
    state, _ = run(
        [SUCCEEDED],
        settles_after_days=4,
        messages=[(7.5, InvoicePaid(via="stripe", source_event_id="evt_paid"))],
    )

    assert state.outcome is not None and state.outcome.resolution is Resolution.RETRY
    assert day(state, state.outcome.closed_at) == 7.5


def test_a_return_announced_by_stripe_is_read_at_once_and_the_schedule_goes_on() -> None:
    failed = StripeEvent(type="invoice.payment_failed", source_event_id="evt_returned")
    state, _ = run([R01, SUCCEEDED], settles_after_days=2, messages=[(5, failed)])

    assert [day(state, a.at) for a in state.attempts] == [3, 7]
    assert [a.outcome for a in state.attempts] == ["failed", "succeeded"]
    reads = [e for e in state.timeline if e.event == "charge_failed"]
    assert day(state, reads[0].at) == 5, "the return counted when Stripe announced it"


def test_a_debit_still_processing_goes_to_finance_once_and_the_case_keeps_waiting() -> None:
    state, _ = run([SUCCEEDED], settles_after_days=30)

    pending = [e for e in state.timeline if e.event == "settlement_pending"]
    assert [day(state, e.at) for e in pending] == [17, 31]
    assert [(r.team, day(state, r.at)) for r in state.routed] == [(Team.FINANCE, 17)]
    assert state.outcome is not None and state.outcome.outcome is Outcome.RECOVERED
    assert day(state, state.outcome.closed_at) == 45


def test_a_settling_case_shows_it_is_retrying_and_waiting_on_the_bank() -> None:
    case = make_case(payment_method_type="ach_debit", failure=ACH_FAILURE)
    state = transitions.open_case(case, case.failed_at)
    transitions.record_facts(state, CaseFacts(account=AccountFacts()), case.failed_at)
    now = case.failed_at + timedelta(days=3)
    processing = ChargeResult(status=ChargeStatus.PROCESSING, invoice_status="open")
    transitions.record_charge(state, processing, True, 0, now)

    planned = plan(state, now)
    assert planned.stage is Stage.RETRYING
    assert planned.decision.next_action.kind is NextActionKind.WAIT  # type: ignore[union-attr]
    assert state.attempts == [], "an attempt counts once the bank answers"
    # A new payment method while the debit is in flight waits for the bank's answer.
    transitions.receive(state, PaymentMethodUpdated(payment_method_id="pm_2"), now)
    assert plan(state, now).decision.next_action.kind is NextActionKind.WAIT  # type: ignore[union-attr]


def test_the_check_period_comes_from_the_policy() -> None:
    policy = DunningPolicy(settlement_check_days=5)
    case = make_case(payment_method_type="ach_debit", failure=ACH_FAILURE, policy=policy)
    clock = VirtualClock(case.failed_at)
    providers = ScriptedProviders(
        outcomes=[SUCCEEDED], settles_after=timedelta(days=4), clock=clock
    )
    state = simulate(case, providers, clock=clock)

    assert state.outcome is not None and day(state, state.outcome.closed_at) == 8


def test_the_end_action_waits_for_a_debit_still_settling_on_the_date_the_notice_named() -> None:
    # Presented on day 12, returned on day 16; the self-serve notice named day 14.
    failed = StripeEvent(type="invoice.payment_failed", source_event_id="evt_returned")
    policy = DunningPolicy(retries={"ach_debit": {"days": [12]}})
    case = make_case(payment_method_type="ach_debit", failure=ACH_FAILURE, policy=policy)
    clock = VirtualClock(case.failed_at)
    providers = ScriptedProviders(outcomes=[R01], settles_after=timedelta(days=4), clock=clock)
    state = simulate(case, providers, clock=clock, messages=[(16, failed)])

    notices = [e for e in state.emails if e.template is EmailTemplate.FINAL_NOTICE]
    assert [day(state, e.at) for e in notices] == [10], "it named day 14"
    assert state.outcome is not None and state.outcome.outcome is Outcome.END_STATE_APPLIED
    returned = next(e for e in state.timeline if e.event == "charge_failed")
    assert day(state, returned.at) == 16
    assert day(state, state.outcome.closed_at) == 16, "when the bank answered, not before"


def test_a_returned_debit_is_told_at_once_though_the_next_debit_is_due_within_a_day() -> None:
    # The next debit's answer would take days: the customer is not kept waiting for it.
    failed = StripeEvent(type="invoice.payment_failed", source_event_id="evt_returned")
    state, _ = run([R01, R01], settles_after_days=3.5, messages=[(6.5, failed)])

    told = [e for e in state.emails if e.template is EmailTemplate.PAYMENT_FAILED]
    assert [day(state, e.at) for e in told] == [6.5]
    assert [day(state, a.at) for a in state.attempts][:2] == [3, 7.5], "a day after the answer"


def test_a_return_heard_late_counts_the_next_presentment_from_the_bank_s_answer() -> None:
    # The debit of day 3 comes back on day 6.5; Stripe's event reaches the case only on day
    # 6.8 (a slow webhook, a worker away). The next presentment keeps its day's gap from
    # the bank's answer, as the event dates it, not from when the case heard of it.
    case = make_case(payment_method_type="ach_debit", failure=ACH_FAILURE)
    answered = case.failed_at + timedelta(days=6.5)
    dated = StripeEvent(
        type="invoice.payment_failed", source_event_id="evt_returned", occurred_at=answered
    )
    undated = StripeEvent(type="invoice.payment_failed", source_event_id="evt_returned")

    by_event, _ = run([R01, SUCCEEDED], settles_after_days=3.5, messages=[(6.8, dated)])
    by_hearing, _ = run([R01, SUCCEEDED], settles_after_days=3.5, messages=[(6.8, undated)])

    assert [day(by_event, a.at) for a in by_event.attempts] == [3, 7.5]
    assert [day(by_hearing, a.at) for a in by_hearing.attempts] == [3, 7.8]
