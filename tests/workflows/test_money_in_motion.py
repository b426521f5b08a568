"""The workflow with Stripe's slower and wider facts: a bank debit that settles days after
the charge, and a card whose other invoices already used its retry budget."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import EndAction, OperatorAction, Outcome, Resolution, Stage
from dunning.contract.messages import (
    STRIPE_ACTOR,
    InvoicePaid,
    OperatorDecision,
    Signals,
    StripeEvent,
)
from dunning.providers.cards import CardUse
from dunning.providers.requests import ChargeRequest, ChargeResult, InvoiceAction
from harness.fakes import SUCCEEDED, FakeProviders
from harness.temporal import events, make_case, record, running, status_of, wait_for
from lab.scripted import ORIGINAL_CARD

ACH_RETURN = {"code": "insufficient_funds", "network_decline_code": "R01"}


async def test_a_bank_debit_counts_once_it_settles(time_env: WorkflowEnvironment) -> None:
    fakes = FakeProviders(outcomes=[SUCCEEDED], settles_after=timedelta(days=2))
    case = make_case(payment_method_type="ach_debit", failure=ACH_RETURN)
    async with running(time_env, fakes, case) as handle:
        await time_env.sleep(timedelta(days=5))
        settling = await status_of(handle)
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, "bank_debit_settled")

    assert "charge_processing" in events(settling)
    assert settling.stage is Stage.RETRYING and settling.attempts == []
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    assert len(fakes.named("charge_invoice")) == 1
    assert fakes.named("read_settlement") == [case.invoice_id]
    assert [round((a.at - status.timeline[0].at) / timedelta(days=1)) for a in status.attempts] == [
        3
    ], "the attempt counts at the moment of the debit"
    assert 16.9 <= outcome.days_open <= 17.1, "read on the policy's check, 14 days later"


async def test_a_card_busy_with_other_invoices_is_retried_within_its_cap(
    time_env: WorkflowEnvironment,
) -> None:
    # On day 2, nineteen charges on the same card for other invoices: Visa's 20 in 30 days
    # leaves no room for the day-3 retry, which is not made; the next would fall after the
    # case's end.
    now = await time_env.get_current_time()
    busy = [
        (ORIGINAL_CARD, CardUse(at=now + timedelta(days=2, minutes=i), succeeded=True))
        for i in range(19)
    ]
    fakes = FakeProviders(outcomes=["insufficient_funds"], elsewhere=busy)
    case = make_case(failed_at=now)
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, "card_busy_elsewhere")

    assert len(status.attempts) == 1, "one retry fits the card's budget"
    charges = fakes.named("charge_invoice")
    assert len(charges) == 2, "the day-3 retry asked, and the card had no room"
    assert all(c.room is not None and c.room.card_fingerprint == ORIGINAL_CARD for c in charges)
    assert "card_busy" in events(status)
    assert outcome.outcome is Outcome.END_STATE_APPLIED


Announcement = tuple[str, StripeEvent | InvoicePaid | OperatorDecision]
"""A signal as the webhook service sends it on Stripe's event."""


@dataclass
class AnsweredBeforeItReturns(FakeProviders):
    """Stripe as it may be: the event that answers a charge, or announces the case's own
    change to the invoice (marked uncollectible, paid offline), reaches the case before the
    call's own response does (a worker slow to report it, or one that died after Stripe
    did it)."""

    client: Client | None = None
    answers: list[Announcement] = field(default_factory=list)
    """What Stripe announces of each charge, in turn."""
    announced: list[Announcement] = field(default_factory=list)
    """What Stripe announces of each change to the invoice, in turn."""

    async def charge_invoice(self, request: ChargeRequest, *, summary: str = "") -> ChargeResult:
        result = await super().charge_invoice(request, summary=summary)
        await self._announce(request.invoice_id, self.answers)
        return result

    async def apply_invoice_action(self, request: InvoiceAction, *, summary: str = "") -> None:
        await super().apply_invoice_action(request, summary=summary)
        await self._announce(request.invoice_id, self.announced)

    async def _announce(self, invoice_id: str, announcements: list[Announcement]) -> None:
        if announcements and self.client is not None:
            signal, message = announcements.pop(0)
            handle = self.client.get_workflow_handle(f"dunning-{invoice_id}")
            await handle.signal(signal, message)  # in the history before the response


async def test_a_debit_answered_before_its_charge_returns_is_read_at_once(
    time_env: WorkflowEnvironment,
) -> None:
    # The bank returns the day-3 debit at once; Stripe's event beats the charge's response.
    returned = StripeEvent(type="invoice.payment_failed", source_event_id="evt_returned")
    fakes = AnsweredBeforeItReturns(
        outcomes=[ACH_RETURN["code"], SUCCEEDED],
        settles_after=timedelta(),
        client=time_env.client,
        answers=[(Signals.STRIPE_EVENT, returned)],
    )
    case = make_case(payment_method_type="ach_debit", failure=ACH_RETURN)
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        status = await status_of(handle)
        await record(handle, "debit_answered_before_its_charge_returned")

    opened = status.timeline[0].at
    returned_on = [e.at for e in status.timeline if e.event == "charge_failed"]
    assert [round((at - opened) / timedelta(days=1), 2) for at in returned_on] == [3], (
        "read at once, not on the policy's check 14 days later"
    )
    assert [round((a.at - opened) / timedelta(days=1), 2) for a in status.attempts] == [3, 7]
    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)


async def test_a_payment_announced_before_the_charge_returns_credits_the_retry(
    time_env: WorkflowEnvironment,
) -> None:
    paid = InvoicePaid(via="stripe", source_event_id="evt_paid")
    fakes = AnsweredBeforeItReturns(
        outcomes=[SUCCEEDED], client=time_env.client, answers=[(Signals.INVOICE_PAID, paid)]
    )
    case = make_case()
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        status = await status_of(handle)

    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.RETRY)
    assert "invoice_paid" in events(status) and len(status.attempts) == 1


async def test_an_operator_s_cancel_during_a_charge_waits_for_its_answer(
    time_env: WorkflowEnvironment,
) -> None:
    cancel = OperatorDecision(action=OperatorAction.CANCEL_DUNNING, actor="ops")
    declined = AnsweredBeforeItReturns(
        outcomes=["insufficient_funds"],
        client=time_env.client,
        answers=[(Signals.OPERATOR_DECISION, cancel)],
    )
    paid = AnsweredBeforeItReturns(
        outcomes=[SUCCEEDED],
        client=time_env.client,
        answers=[(Signals.OPERATOR_DECISION, cancel)],
    )
    outcomes = []
    for fakes in (declined, paid):
        case = make_case()
        async with running(time_env, fakes, case) as handle:
            outcomes.append(await handle.result())

    stopped, recovered = outcomes
    assert (stopped.outcome, stopped.attempts) == (Outcome.STOPPED, 1)
    assert (recovered.outcome, recovered.amount_recovered) == (Outcome.RECOVERED, 5000)


async def test_stripe_announcing_the_end_action_does_not_stop_the_case_applying_it(
    time_env: WorkflowEnvironment,
) -> None:
    # No subscription: the self-serve end marks the invoice uncollectible; the webhook
    # service turns Stripe's `invoice.marked_uncollectible` into a cancel by Stripe.
    echo = OperatorDecision(
        action=OperatorAction.CANCEL_DUNNING,
        actor=STRIPE_ACTOR,
        note="invoice.marked_uncollectible in Stripe",
        source_event_id="evt_marked",
    )
    fakes = AnsweredBeforeItReturns(
        outcomes=["insufficient_funds"],
        client=time_env.client,
        announced=[(Signals.OPERATOR_DECISION, echo)],
    )
    case = make_case(subscription_id=None)
    async with running(time_env, fakes, case) as handle:
        outcome = await handle.result()
        await record(handle, "end_action_announced_before_it_returned")

    assert (outcome.outcome, outcome.end_action) == (
        Outcome.END_STATE_APPLIED,
        EndAction.MARK_UNCOLLECTIBLE,
    )


async def test_stripe_announcing_a_payment_offline_leaves_it_the_operator_s(
    time_env: WorkflowEnvironment,
) -> None:
    paid = InvoicePaid(via="stripe", source_event_id="evt_paid_offline")
    fakes = AnsweredBeforeItReturns(
        outcomes=["insufficient_funds"],
        client=time_env.client,
        announced=[(Signals.INVOICE_PAID, paid)],
    )
    offline = OperatorDecision(action=OperatorAction.MARK_PAID_OFFLINE, actor="finance")
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(days=2))
        await handle.signal(Signals.OPERATOR_DECISION, offline)
        outcome = await handle.result()

    assert (outcome.outcome, outcome.resolution) == (Outcome.RECOVERED, Resolution.OPERATOR)


async def test_stripe_s_echo_of_a_declined_retry_leaves_the_case_asleep(
    time_env: WorkflowEnvironment,
) -> None:
    # Stripe announces each declined retry `invoice.payment_failed`, after the charge's own
    # answer: it changes nothing the case plans with, so its timer runs on. An invoice
    # updated in Stripe still wakes it, to read what moved.
    fakes = FakeProviders(outcomes=["insufficient_funds"])
    async with running(time_env, fakes, make_case()) as handle:
        await time_env.sleep(timedelta(days=1, hours=6))  # the first retry declined
        asleep = await status_of(handle)
        echo = StripeEvent(type="invoice.payment_failed", source_event_id="evt_echo")
        await handle.signal(Signals.STRIPE_EVENT, echo)
        heard = await wait_for(handle, lambda s: "stripe_event" in events(s), "the echo")
        timers_after_echo = await timer_events(handle)
        updated = StripeEvent(type="invoice.updated", source_event_id="evt_updated")
        await handle.signal(Signals.STRIPE_EVENT, updated)
        await wait_for(handle, lambda s: events(s).count("stripe_event") == 2, "the update")
        await handle.signal(Signals.INVOICE_PAID, InvoicePaid(via="stripe"))
        await handle.result()
        timers_after_update = await timer_events(handle)

    assert len(asleep.attempts) == 1 and asleep.next_action is not None
    assert heard.next_action == asleep.next_action
    assert EventType.EVENT_TYPE_TIMER_CANCELED not in timers_after_echo, "the echo woke it"
    assert EventType.EVENT_TYPE_TIMER_CANCELED in timers_after_update


async def timer_events(handle: WorkflowHandle[Any, Any]) -> list[EventType.ValueType]:
    """The kinds of the timer events in the case's history so far."""
    history = await handle.fetch_history()
    timers = {EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_TIMER_CANCELED}
    return [e.event_type for e in history.events if e.event_type in timers]
