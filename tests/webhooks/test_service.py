"""The webhook service against the dev server, the worker process and the sandbox."""

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.clients import stripe_client
from cli.report import gather_disputes, gather_watches
from client.connection import start_case
from dunning.contract.enums import Outcome, PreDunningResult, Resolution
from dunning.rules.policy import DunningPolicy
from harness.sandbox_world import settings_for
from harness.temporal import make_case, visible, wait_for
from tests.stack import Stack, eventually
from tests.webhooks.signing import OLD_SECRET, SECRET, event, stripe_signature
from webhooks.service import WebhookService
from workflows.dunning import DunningWorkflow


@pytest.fixture
async def webhook(
    dev_env: WorkflowEnvironment, stack: Stack
) -> AsyncIterator[TestClient[Any, Any]]:
    service = WebhookService(
        dev_env.client,
        stripe_client(settings_for(stack.sandbox_url)),
        [SECRET, OLD_SECRET],
        stack.task_queue,
        DunningPolicy(),
    )
    async with TestClient(TestServer(service.app())) as client:
        yield client


async def deliver(client: TestClient[Any, Any], body: bytes, signature: str | None = None) -> Any:
    headers = {"Stripe-Signature": signature if signature is not None else stripe_signature(body)}
    response = await client.post("/stripe/webhook", data=body, headers=headers)
    return response.status, await response.json()


async def exists(env: WorkflowEnvironment, workflow_id: str) -> bool:
    try:
        await env.client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return False
    return True


def stripe(stack: Stack) -> Any:
    """Stripe's API as the customer's other systems use it (here: the sandbox)."""
    return stripe_client(settings_for(stack.sandbox_url))


def handle_of(env: WorkflowEnvironment, invoice_id: str) -> Any:
    return env.client.get_workflow_handle_for(DunningWorkflow.run, f"dunning-{invoice_id}")


async def opened(
    webhook: TestClient[Any, Any], env: WorkflowEnvironment, invoice_id: str, event_id: str
) -> Any:
    """The invoice's case, opened by a payment failure and classified."""
    await deliver(webhook, event("invoice.payment_failed", {"id": invoice_id}, event_id))
    handle = handle_of(env, invoice_id)
    await wait_for(handle, lambda s: s.failure_category is not None, "classification")
    return handle


def sandbox_post(stack: Stack, path: str, body: dict[str, Any]) -> Any:
    """POST to a sandbox control endpoint with a JSON body; its JSON answer."""
    request = urllib.request.Request(
        f"{stack.sandbox_url}{path}", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


async def test_a_signed_payment_failed_starts_one_readable_case(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment
) -> None:
    body = event("invoice.payment_failed", {"id": "in_wh_open"}, "evt_open")
    status, answer = await deliver(webhook, body)
    assert (status, answer["result"]) == (200, "case dunning-in_wh_open open")
    handle = handle_of(dev_env, "in_wh_open")
    described = await handle.describe()
    summary = await described.static_summary()
    assert summary == "Dunning in_wh_open: 99.00 USD, insufficient_funds"
    case = await wait_for(handle, lambda s: s.failure_category is not None, "classification")
    assert case.failure_reason == "insufficient_funds"
    assert [e.event for e in case.timeline].count("stripe_event") == 1


async def test_one_event_delivered_three_times_at_once_is_one_case(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    body = event("invoice.payment_failed", {"id": "in_wh_dup"}, "evt_dup")
    answers = await asyncio.gather(*(deliver(webhook, body) for _ in range(3)))
    assert [status for status, _ in answers] == [200, 200, 200]
    handle = handle_of(dev_env, "in_wh_dup")
    runs = [w async for w in dev_env.client.list_workflows("WorkflowId = 'dunning-in_wh_dup'")]
    assert len(runs) == 1
    status = await wait_for(handle, lambda s: s.failure_category is not None, "classification")
    assert [e.event for e in status.timeline].count("stripe_event") == 1, "acted on once"
    again = await deliver(webhook, body)
    assert again == (200, {"result": "duplicate: already handled"})


async def test_paid_before_payment_failed_ends_with_no_charge(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    stripe(stack).v1.invoices.pay("in_wh_paid_first", {"paid_out_of_band": True})
    paid = await deliver(webhook, event("invoice.paid", {"id": "in_wh_paid_first"}, "evt_pf1"))
    assert paid[0] == 200 and "no open case" in paid[1]["result"]
    failed = event("invoice.payment_failed", {"id": "in_wh_paid_first"}, "evt_pf2")
    status, answer = await deliver(webhook, failed)
    assert status == 200 and "already paid" in answer["result"]
    assert not await exists(dev_env, "dunning-in_wh_paid_first")
    charges = [
        c for c in stack.calls("in_wh_paid_first/pay") if c["body"] != {"paid_out_of_band": "true"}
    ]
    assert charges == [], "no charge was attempted"


async def test_a_voided_invoice_closes_its_case(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    handle = await opened(webhook, dev_env, "in_wh_void", "evt_v1")
    voided = event("invoice.voided", {"id": "in_wh_void"}, "evt_v2")
    early = await deliver(webhook, voided)
    assert "stale" in early[1]["result"], "Stripe still says open: the event is not trusted yet"
    stripe(stack).v1.invoices.void_invoice("in_wh_void")
    status, answer = await deliver(webhook, event("invoice.voided", {"id": "in_wh_void"}, "evt_v3"))
    assert (status, answer["result"]) == (200, "operator_decision sent to dunning-in_wh_void")
    outcome = await handle.result()
    assert outcome.outcome is Outcome.STOPPED


async def test_a_new_payment_method_reaches_the_customers_open_cases(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    await deliver(webhook, event("invoice.payment_failed", {"id": "in_wh_card"}, "evt_c1"))
    handle = handle_of(dev_env, "in_wh_card")
    await wait_for(handle, lambda s: bool(s.emails), "the customer is told")
    await visible(dev_env, "CustomerId = 'cus_hook' AND WorkflowId = 'dunning-in_wh_card'")
    stack.post("/_sandbox/invoices/in_wh_card/update_payment_method")
    attached = event("payment_method.attached", {"id": "pm_9", "customer": "cus_hook"}, "evt_c2")
    status, answer = await deliver(webhook, attached)
    assert status == 200 and "open case(s)" in answer["result"]
    outcome = await handle.result()
    assert (outcome.outcome, outcome.resolution) == (
        Outcome.RECOVERED,
        Resolution.PAYMENT_METHOD_UPDATE,
    )


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        (event("invoice.payment_failed", {"id": "in_wh_x"}, "evt_bad"), "t=1,v1=deadbeef"),
        (event("invoice.payment_failed", {"id": "in_wh_x"}, "evt_stale"), "stale"),
        (b"{not json", None),
        (b'{"id": "evt_x", "type": "invoice.paid", "data": {}}', None),
    ],
    ids=["bad-signature", "stale-timestamp", "not-json", "not-an-event"],
)
async def test_bad_requests_get_400_and_start_nothing(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, body: bytes, signature: str | None
) -> None:
    if signature == "stale":
        signature = stripe_signature(body, at=int(time.time()) - 600)
    status, answer = await deliver(webhook, body, signature)
    assert status == 400 and answer["error"]
    assert not await exists(dev_env, "dunning-in_wh_x")


async def test_an_unhandled_event_is_acknowledged(webhook: TestClient[Any, Any]) -> None:
    status, answer = await deliver(webhook, event("charge.refunded", {"id": "ch_1"}, "evt_r"))
    assert (status, answer["result"]) == (200, "ignored: charge.refunded is not handled")


async def test_an_oversized_body_is_refused(webhook: TestClient[Any, Any]) -> None:
    body = event("invoice.payment_failed", {"id": "in_wh_x", "pad": "x" * 600_000}, "evt_big")
    response = await webhook.post(
        "/stripe/webhook", data=body, headers={"Stripe-Signature": stripe_signature(body)}
    )
    assert response.status == 413


async def test_an_event_redelivered_after_a_restart_does_not_reopen_a_stopped_case(
    dev_env: WorkflowEnvironment, stack: Stack, webhook: TestClient[Any, Any]
) -> None:
    # An operator stops dunning on a still-open invoice; Stripe redelivers the event that
    # opened the case to a restarted service, which no longer remembers it.
    body = event("invoice.payment_failed", {"id": "in_wh_stopped"}, "evt_stop1")
    await deliver(webhook, body)
    handle = handle_of(dev_env, "in_wh_stopped")
    await wait_for(handle, lambda s: s.failure_category is not None, "classification")
    await handle.execute_update("decide", {"action": "cancel_dunning", "actor": "ops@vendor"})
    assert (await handle.result()).outcome is Outcome.STOPPED
    restarted = WebhookService(
        dev_env.client,
        stripe(stack),
        [SECRET],
        stack.task_queue,
        DunningPolicy(),
    )
    async with TestClient(TestServer(restarted.app())) as fresh:
        status, answer = await deliver(fresh, body)
        assert status == 200 and answer["result"].startswith("ignored: the invoice's case closed")
        query = "WorkflowId = 'dunning-in_wh_stopped'"
        assert len([w async for w in dev_env.client.list_workflows(query)]) == 1
        later = json.loads(body) | {"id": "evt_stop2", "created": int(time.time()) + 5}
        status, answer = await deliver(fresh, json.dumps(later).encode())
        assert answer["result"] == "case dunning-in_wh_stopped open", "a new failure is new"


@pytest.mark.parametrize("kind", ["setup_intent.succeeded", "customer.updated"])
async def test_a_new_default_payment_method_reaches_the_customers_cases(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack, kind: str
) -> None:
    invoice, customer = {
        "setup_intent.succeeded": ("in_wh_setup", "cus_setup"),
        "customer.updated": ("in_wh_default", "cus_default"),
    }[kind]
    await deliver(webhook, event("invoice.payment_failed", {"id": invoice}, f"evt_{kind}_1"))
    handle = handle_of(dev_env, invoice)
    await wait_for(handle, lambda s: bool(s.emails), "the customer is told")
    await visible(dev_env, f"CustomerId = '{customer}' AND WorkflowId = 'dunning-{invoice}'")
    stack.post(f"/_sandbox/invoices/{invoice}/update_payment_method")
    obj: dict[str, Any]
    if kind == "setup_intent.succeeded":
        obj = {"id": "seti_1", "customer": customer, "payment_method": "pm_setup"}
        body = event(kind, obj, f"evt_{kind}_2")
    else:
        obj = {"id": customer, "invoice_settings": {"default_payment_method": "pm_default"}}
        before = {"invoice_settings": {"default_payment_method": None}}
        body = event(kind, obj, f"evt_{kind}_2", previous_attributes=before)
    status, answer = await deliver(webhook, body)
    assert (status, answer["result"]) == (200, "payment_method_updated sent to 1 open case(s)")
    outcome = await handle.result()
    assert (outcome.outcome, outcome.resolution) == (
        Outcome.RECOVERED,
        Resolution.PAYMENT_METHOD_UPDATE,
    )


async def test_invoice_paid_in_stripe_recovers_the_case(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    handle = await opened(webhook, dev_env, "in_wh_paid", "evt_p1")
    early = await deliver(webhook, event("invoice.paid", {"id": "in_wh_paid"}, "evt_p2"))
    assert early[1]["result"].startswith("ignored: the invoice is open"), "stale until paid"
    stripe(stack).v1.invoices.pay("in_wh_paid", {"paid_out_of_band": True})
    paid = event("invoice.paid", {"id": "in_wh_paid", "charge": "ch_1"}, "evt_p3")
    status, answer = await deliver(webhook, paid)
    assert (status, answer["result"]) == (200, "invoice_paid sent to dunning-in_wh_paid")
    outcome = await handle.result()
    assert (outcome.outcome, outcome.resolution) == (
        Outcome.RECOVERED,
        Resolution.EXTERNAL_PAYMENT,
    )


async def test_an_invoice_marked_uncollectible_in_stripe_stops_its_case(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    invoice = "in_wh_uncollectible"
    handle = await opened(webhook, dev_env, invoice, "evt_u1")
    stripe(stack).v1.invoices.mark_uncollectible(invoice)
    marked = event("invoice.marked_uncollectible", {"id": invoice}, "evt_u2")
    status, answer = await deliver(webhook, marked)
    assert (status, answer["result"]) == (200, f"operator_decision sent to dunning-{invoice}")
    assert (await handle.result()).outcome is Outcome.STOPPED


async def test_a_partial_payment_lowers_what_is_at_risk_and_the_rest_is_credited(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    invoice = "in_wh_parts"
    handle = await opened(webhook, dev_env, invoice, "evt_pp1")
    sandbox_post(stack, f"/_sandbox/invoices/{invoice}/partial_payment", {"amount": 4000})
    before = {"amount_paid": 0, "amount_remaining": 9900}
    updated = event("invoice.updated", {"id": invoice}, "evt_pp2", previous_attributes=before)
    status, answer = await deliver(webhook, updated)
    assert (status, answer["result"]) == (200, f"stripe_event sent to dunning-{invoice}")
    await wait_for(
        handle, lambda s: any(e.event == "partial_payment" for e in s.timeline), "the payment"
    )
    credit = stripe(stack).v1.credit_notes.create({"invoice": invoice, "amount": 5900})
    await deliver(webhook, event("credit_note.created", credit.to_dict(), "evt_pp3"))
    outcome = await handle.result()
    assert outcome.outcome is Outcome.RECOVERED
    assert (outcome.amount_recovered, outcome.amount_credited) == (4000, 5900)


async def test_a_credit_note_for_the_whole_invoice_closes_it_unrecovered(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    invoice = "in_wh_credit"
    handle = await opened(webhook, dev_env, invoice, "evt_cn1")
    stripe(stack).v1.credit_notes.create({"invoice": invoice, "amount": 9900})
    # Stripe announces the invoice paid (by credit): the case reads how, not "recovered".
    paid = await deliver(webhook, event("invoice.paid", {"id": invoice}, "evt_cn2"))
    assert paid[1]["result"] == f"stripe_event sent to dunning-{invoice}"
    outcome = await handle.result()
    status = await handle.query(DunningWorkflow.status)
    assert (outcome.outcome, outcome.amount_recovered, outcome.amount_credited) == (
        Outcome.STOPPED,
        0,
        9900,
    )
    assert any(e.event == "resolved_by_credit" for e in status.timeline)


async def test_an_invoice_update_without_a_payment_changes_nothing(
    webhook: TestClient[Any, Any],
) -> None:
    renamed = event(
        "invoice.updated", {"id": "in_wh_parts"}, "evt_up1", previous_attributes={"footer": "x"}
    )
    status, answer = await deliver(webhook, renamed)
    assert (status, answer["result"]) == (
        200,
        "ignored: invoice.updated without a change to what was paid",
    )
    orphan = event("credit_note.created", {"id": "cn_1", "invoice": None}, "evt_up2")
    assert (await deliver(webhook, orphan))[1]["result"] == (
        "ignored: credit_note.created without an invoice"
    )


async def test_a_dispute_on_recovered_money_goes_to_finance_once_and_is_counted(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment, stack: Stack
) -> None:
    invoice = "in_wh_disputed"
    case = make_case(
        invoice_id=invoice, customer_id="cus_hook", amount_due=9900, options={"day_seconds": 1}
    )
    recovered = await start_case(dev_env.client, case, stack.task_queue)
    assert (await recovered.result()).outcome is Outcome.RECOVERED
    disputed = sandbox_post(
        stack, f"/_sandbox/invoices/{invoice}/dispute", {"reason": "fraudulent"}
    )

    body = event("charge.dispute.created", disputed, "evt_dp1")
    status, answer = await deliver(webhook, body)
    assert (status, answer["result"]) == (200, f"dispute dispute-{disputed['id']} open")
    again = await deliver(webhook, event("charge.dispute.created", disputed, "evt_dp2"))
    assert again[1]["result"] == f"dispute dispute-{disputed['id']} already routed"
    odd = disputed | {"id": "dp_odd", "currency": "dollars"}
    refused = (await deliver(webhook, event("charge.dispute.created", odd, "evt_dp5")))[1]
    assert refused["result"].startswith("ignored: dispute dp_odd: currency")
    task_id = await dev_env.client.get_workflow_handle(f"dispute-{disputed['id']}").result()
    task = stack.sandbox_state()["tasks"][task_id]
    assert task["properties"]["dunning_team"] == "finance"
    assert invoice in task["properties"]["hs_task_body"]

    async def counted() -> bool:
        return (await gather_disputes(dev_env.client)).get("usd", []).count(9900) >= 1

    await eventually(counted, "the dispute in the report")


async def test_a_dispute_on_a_charge_no_case_recovered_is_ignored(
    webhook: TestClient[Any, Any],
) -> None:
    stranger = {"id": "dp_x", "charge": "ch_unknown", "amount": 100, "currency": "usd"}
    status, answer = await deliver(webhook, event("charge.dispute.created", stranger, "evt_dp3"))
    assert status == 200 and answer["result"].startswith("ignored: Stripe does not know charge")
    malformed = {"id": "dp_y", "charge": "ch_1", "amount": -5, "currency": "usd"}
    answer = (await deliver(webhook, event("charge.dispute.created", malformed, "evt_dp4")))[1]
    assert answer["result"] == "ignored: dispute dp_y without a positive amount and a currency"


async def test_an_upcoming_renewal_starts_its_watch_and_the_report_counts_it(
    webhook: TestClient[Any, Any], dev_env: WorkflowEnvironment
) -> None:
    # A subscription Stripe knows without a card on file: nothing to warn of.
    upcoming = {
        "object": "invoice",
        "customer": "cus_hook",
        "subscription": "sub_in_wh_paid",
        "amount_due": 9900,
        "currency": "usd",
        "next_payment_attempt": int(time.time()) + 20 * 86_400,
    }
    status, answer = await deliver(webhook, event("invoice.upcoming", upcoming, "evt_up_1"))
    assert status == 200 and answer["result"].startswith("watch predunning-sub_in_wh_paid-")
    watch_id = answer["result"].split()[1]
    outcome = await dev_env.client.get_workflow_handle(watch_id).result()
    assert outcome["result"] == "not_needed"

    async def counted() -> bool:
        watched = await gather_watches(dev_env.client)
        return watched.by_result.get(PreDunningResult.NOT_NEEDED, 0) >= 1

    await eventually(counted, "the watch in the report")
    unknown = upcoming | {"subscription": "sub_nobody"}
    answer = (await deliver(webhook, event("invoice.upcoming", unknown, "evt_up_2")))[1]
    assert answer["result"].startswith("ignored: Stripe does not know sub_nobody")
