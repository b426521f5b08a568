"""`PreDunningWorkflow` on the time-skipping server: reminders on the policy's days before a
renewal on an expiring card, an end to them when the card is replaced, and a result that
says whether the failure was prevented."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import PreDunningResult
from dunning.contract.messages import InvoicePaid, PaymentMethodUpdated, StripeEvent
from dunning.contract.predunning import PreDunningCase, PreDunningOutcome
from harness.fakes import FakeProviders
from harness.temporal import record, worker_with
from workflows.predunning import CARD_REPLACED, RENEWAL_FAILED, RENEWAL_PAID, PreDunningWorkflow

RENEWS_ON = datetime(2026, 3, 15, tzinfo=UTC)


def watch(**fields: Any) -> PreDunningCase:
    return PreDunningCase.model_validate(
        {
            "subscription_id": f"sub_{uuid.uuid4().hex[:8]}",
            "customer_id": "cus_w",
            "amount": 9900,
            "currency": "usd",
            "renews_on": RENEWS_ON,
            "days_to_renewal": 30,
            "card_exp_month": 2,
            "card_exp_year": 2026,
            "email": "billing@w.example",
            **fields,
        }
    )


async def run(
    env: WorkflowEnvironment, case: PreDunningCase, act: Any = None, history: str = ""
) -> tuple[PreDunningOutcome, FakeProviders]:
    fakes = FakeProviders()
    async with worker_with(env, fakes, PreDunningWorkflow) as queue:
        handle: WorkflowHandle[Any, PreDunningOutcome] = await env.client.start_workflow(
            PreDunningWorkflow.run, case, id=case.workflow_id, task_queue=queue
        )
        if act is not None:
            await act(env, handle)
        outcome = await handle.result()
        if history:
            await record(handle, history)
        return outcome, fakes


async def test_a_card_replaced_after_the_first_reminder_prevents_the_failure(
    time_env: WorkflowEnvironment,
) -> None:
    async def customer(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(timedelta(days=5))  # after the 30-day reminder, before the 7-day one
        await handle.signal(CARD_REPLACED, PaymentMethodUpdated(payment_method_id="pm_new"))
        await env.sleep(timedelta(days=26))
        await handle.signal(RENEWAL_PAID, InvoicePaid(source_event_id="evt_renewed"))

    outcome, fakes = await run(time_env, watch(), customer, history="predunning_prevented")

    assert (outcome.result, outcome.reminders_sent, outcome.card_replaced) == (
        PreDunningResult.PREVENTED,
        1,
        True,
    )
    [mail] = fakes.named("send_email")
    assert mail.template == "expiry_reminder" and mail.to == "billing@w.example"
    assert "2026-03-15" in mail.body and "02/2026" in mail.body


async def test_without_an_answer_both_reminders_go_and_a_failure_hands_over(
    time_env: WorkflowEnvironment,
) -> None:
    async def renewal_fails(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(timedelta(days=30, hours=1))
        await handle.signal(RENEWAL_FAILED, StripeEvent(type="invoice.payment_failed"))

    outcome, fakes = await run(time_env, watch(), renewal_fails)

    assert (outcome.result, outcome.reminders_sent) == (PreDunningResult.FAILED, 2)
    assert [m.step for m in fakes.named("send_email")] == [
        "expiry_reminder@0",
        "expiry_reminder@23",
    ]


async def test_a_card_that_outlives_the_renewal_needs_no_watch(
    time_env: WorkflowEnvironment,
) -> None:
    outcome, fakes = await run(time_env, watch(card_exp_year=2030))
    assert outcome.result is PreDunningResult.NOT_NEEDED and fakes.named("send_email") == []


async def test_no_word_of_the_renewal_ends_unresolved_after_the_grace(
    time_env: WorkflowEnvironment,
) -> None:
    outcome, _ = await run(time_env, watch(days_to_renewal=5))
    assert (outcome.result, outcome.reminders_sent) == (PreDunningResult.UNRESOLVED, 1)
