"""`PreDunningWorkflow` on the time-skipping server: reminders on the policy's days before a
renewal on an expiring card, an end to them when the card is replaced, and a result that
says whether the failure was prevented."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from dunning.contract.enums import EmailTemplate, PreDunningResult, Team, WatchCheck
from dunning.contract.messages import (
    BillingContactCorrected,
    InvoicePaid,
    PaymentMethodUpdated,
    PoNumberProvided,
    Signals,
    StripeEvent,
)
from dunning.contract.predunning import PreDunningCase, PreDunningOutcome, PreDunningStatus
from dunning.providers.facts import AccountFacts, Person
from dunning.rules.policy import DunningPolicy
from harness.fakes import FakeProviders
from harness.temporal import record, worker_with
from workflows.predunning import CARD_REPLACED, RENEWAL_FAILED, RENEWAL_PAID, PreDunningWorkflow

RENEWS_ON = datetime(2026, 3, 15, tzinfo=UTC)
AP = Person(name="AP", email="ap@acme.example")


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
    env: WorkflowEnvironment,
    case: PreDunningCase,
    act: Any = None,
    history: str = "",
    **providers: Any,
) -> tuple[PreDunningOutcome, FakeProviders]:
    fakes = FakeProviders(**providers)
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


async def test_a_missing_po_is_asked_for_and_stored_where_the_renewal_carries_it(
    time_env: WorkflowEnvironment,
) -> None:
    account = AccountFacts(ap_contact=AP, po_required=True, company_id="co_1", owner_id="7")

    async def ap_team(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(timedelta(days=3))
        await handle.signal(Signals.PO_NUMBER_PROVIDED, PoNumberProvided(po_number="PO-77"))
        await env.sleep(timedelta(days=1))
        status = await handle.query("status", result_type=PreDunningStatus)
        assert status.context(handle.id).model_dump(exclude={"watch_id"}) == {
            "asked": (EmailTemplate.PO_REQUEST,),
            "card_replaced": False,
            "po_number": "PO-77",
            "contact_email": None,
        }
        await env.sleep(timedelta(days=27))
        await handle.signal(RENEWAL_PAID, InvoicePaid(source_event_id="evt_renewed"))

    case = watch(card_exp_year=2030)
    outcome, fakes = await run(
        time_env, case, ap_team, history="predunning_po_requested", account=account
    )

    assert (outcome.result, outcome.checks, outcome.po_number) == (
        PreDunningResult.PAID,
        (WatchCheck.PO_MISSING,),
        "PO-77",
    )
    [mail] = fakes.named("send_email")
    assert (mail.template, mail.to, mail.step) == ("po_request", "ap@acme.example", "po_request@0")
    [stored] = fakes.named("store_renewal_po")
    assert (stored.subscription_id, stored.po_number) == (case.subscription_id, "PO-77")


async def test_a_bouncing_contact_is_asked_to_confirm_the_owner_is_told_and_the_fix_written(
    time_env: WorkflowEnvironment,
) -> None:
    account = AccountFacts(ap_contact=AP, ap_contact_bounced=True, company_id="co_1", owner_id="7")
    corrected = BillingContactCorrected(email="new-ap@acme.example", name="New AP")

    async def customer(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(timedelta(days=2))
        await handle.signal(Signals.BILLING_CONTACT_CORRECTED, corrected)
        await handle.signal(Signals.BILLING_CONTACT_CORRECTED, corrected)  # sent twice

    outcome, fakes = await run(time_env, watch(card_exp_year=2030), customer, account=account)

    assert outcome.result is PreDunningResult.UNRESOLVED  # no word of the renewal came
    assert (outcome.contact_email, outcome.tasks) == (
        "new-ap@acme.example",
        (WatchCheck.CONTACT_UNCONFIRMED,),
    )
    [mail] = fakes.named("send_email")
    assert (mail.template, mail.to) == ("contact_confirm", "billing@w.example")  # not the bounce
    [task] = fakes.named("create_task")
    assert (task.team, task.owner_id, task.company_id) == ("customer_success", "7", "co_1")
    assert "ap@acme.example" in task.body
    [stripe_side] = fakes.named("update_customer_email")
    [crm_side] = fakes.named("update_billing_contact")
    assert stripe_side.email == crm_side.email == "new-ap@acme.example"
    assert crm_side.company_id == "co_1"


async def test_an_amount_off_the_contract_goes_to_revops_before_invoicing(
    time_env: WorkflowEnvironment,
) -> None:
    account = AccountFacts(ap_contact=AP, contract_amount=5000, owner_id="7")
    policy = DunningPolicy(team_owners={Team.REVOPS: "42"})

    async def renews(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(timedelta(days=30, hours=1))
        await handle.signal(RENEWAL_PAID, InvoicePaid())

    case = watch(card_exp_year=2030, policy=policy)
    outcome, fakes = await run(time_env, case, renews, account=account)

    assert (outcome.result, outcome.checks) == (
        PreDunningResult.PAID,
        (WatchCheck.AMOUNT_MISMATCH,),
    )
    [task] = fakes.named("create_task")
    assert (task.team, task.owner_id) == ("revops", "42")
    assert "Contracted amount: 50.00 USD" in task.body and "99.00 USD" in task.body
    assert fakes.named("send_email") == []


async def test_without_the_account_the_card_alone_is_watched(
    time_env: WorkflowEnvironment,
) -> None:
    account = AccountFacts(ap_contact=AP, po_required=True)
    outcome, fakes = await run(
        time_env, watch(days_to_renewal=5), account=account, account_refusal="HubSpot said 403"
    )
    assert (outcome.checks, outcome.asked) == (
        (WatchCheck.CARD_EXPIRES,),
        (EmailTemplate.EXPIRY_REMINDER,),
    )
    assert fakes.named("store_renewal_po") == []


async def test_a_renewal_on_net_terms_is_reminded_of_before_it_falls_due(
    time_env: WorkflowEnvironment,
) -> None:
    # Renews in 10 days, due 20 days later: reminded 3 days before, on day 27.
    terms = {"collection_method": "send_invoice", "days_until_due": 20, "days_to_renewal": 10}

    async def overdue(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(timedelta(days=30, hours=1))
        await handle.signal(RENEWAL_FAILED, StripeEvent(type="invoice.overdue"))

    outcome, fakes = await run(time_env, watch(**terms), overdue, "predunning_net_terms_due")
    assert (outcome.result, outcome.checks) == (
        PreDunningResult.FAILED,
        (WatchCheck.NET_TERMS_DUE,),  # an invoiced renewal does not use the expiring card
    )
    [mail] = fakes.named("send_email")
    assert (mail.template, mail.step) == ("due_reminder", "due_reminder@27")
    assert "Due: 2026-04-04" in mail.body

    async def pays_early(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(timedelta(days=12))
        await handle.signal(RENEWAL_PAID, InvoicePaid())

    outcome, fakes = await run(time_env, watch(**terms), pays_early)
    assert outcome.result is PreDunningResult.PAID and fakes.named("send_email") == []
