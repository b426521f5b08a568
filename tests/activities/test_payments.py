"""Stripe activities through stripe-python against the sandbox."""

import time
from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.errors import PERMANENT_TYPE, TRANSIENT_TYPE
from activities.payments import PaymentActivities
from dunning.contract.enums import EndAction
from dunning.providers.requests import ChargeRequest, ContactUpdate, InvoiceAction, PoUpdate
from sandbox.server import SandboxServer
from tests.activities.conftest import calls, first_attempt, inject, retry_attempt

run = first_attempt().run


def test_read_invoice_returns_the_facts_the_policy_needs(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    facts = run(payments.read_invoice, "in_net")
    assert facts.status == "open"
    assert facts.amount_due == 1200000
    assert facts.po_number == "PO-1"
    assert facts.customer_email == "billing@acme.example"
    assert facts.hosted_invoice_url and facts.hosted_invoice_url.endswith("/in_net")
    assert [c["path"] for c in calls(sandbox, "stripe")] == ["/v1/invoices/in_net"]


def test_a_decline_is_a_result_with_its_codes(payments: PaymentActivities) -> None:
    result = run(payments.charge_invoice, ChargeRequest(invoice_id="in_acme", attempt=1))
    assert result.status == "declined"
    assert result.decline is not None
    assert result.decline.code == "card_declined"
    assert result.decline.decline_code == "insufficient_funds"
    assert result.decline.advice_code == "try_again_later"
    assert result.decline.network_decline_code == "51"


def test_charge_sends_the_attempt_idempotency_key_and_rereads_first(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    request = ChargeRequest(invoice_id="in_acme", attempt=2, payment_method_id="pm_new")
    result = run(payments.charge_invoice, request)
    assert result.status == "succeeded", "a new payment method follows outcomes_after_update"
    stripe_calls = calls(sandbox, "stripe")
    assert [(c["method"], c["path"]) for c in stripe_calls] == [
        ("GET", "/v1/invoices/in_acme"),
        ("POST", "/v1/invoices/in_acme/pay"),
    ]
    assert stripe_calls[1]["idempotency_key"] == "dunning-in_acme-attempt-2"
    assert stripe_calls[1]["body"] == {
        "payment_method": "pm_new",
        "expand": ["payment_intent.latest_charge"],
    }
    assert result.card_fingerprint == "fp_cus_acme_new", "the charge names the card it was on"


def test_an_activity_retry_replays_the_same_charge(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    request = ChargeRequest(invoice_id="in_acme", attempt=1)
    first = run(payments.charge_invoice, request)
    again = run(payments.charge_invoice, request)
    assert first == again
    assert sandbox.state.invoices["in_acme"].charges == 1, "one charge per attempt key"
    second = run(payments.charge_invoice, ChargeRequest(invoice_id="in_acme", attempt=2))
    assert second.status == "succeeded"


def test_a_paid_invoice_is_never_charged(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    sandbox.state.invoices["in_acme"].status = "paid"
    result = run(payments.charge_invoice, ChargeRequest(invoice_id="in_acme", attempt=1))
    assert result.status == "already_paid"
    assert [c["method"] for c in calls(sandbox, "stripe")] == ["GET"]


def test_po_is_put_on_the_invoice_and_a_sent_invoice_resent(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    run(payments.apply_po_number, PoUpdate(invoice_id="in_net", po_number="PO-9", resend=True))
    paths = [c["path"] for c in calls(sandbox, "stripe")]
    assert paths == ["/v1/invoices/in_net", "/v1/invoices/in_net/send"]
    assert calls(sandbox, "stripe")[0]["body"]["custom_fields"] == [
        {"name": "PO Number", "value": "PO-9"}
    ]
    assert run(payments.read_invoice, "in_net").po_number == "PO-9"


@pytest.mark.parametrize(
    ("action", "method", "path", "check"),
    [
        (EndAction.CANCEL_SUBSCRIPTION, "DELETE", "/v1/subscriptions/sub_acme", "canceled"),
        (EndAction.PAUSE_SUBSCRIPTION, "POST", "/v1/subscriptions/sub_acme", "paused"),
        (EndAction.MARK_UNCOLLECTIBLE, "POST", "/v1/invoices/in_acme/mark_uncollectible", None),
        (EndAction.RESTRICT_ACCESS, "POST", "/v1/customers/cus_acme", None),
        ("paid_out_of_band", "POST", "/v1/invoices/in_acme/pay", None),
    ],
)
def test_invoice_actions(
    payments: PaymentActivities,
    sandbox: SandboxServer,
    action: str,
    method: str,
    path: str,
    check: str | None,
) -> None:
    request = InvoiceAction(
        invoice_id="in_acme",
        customer_id="cus_acme",
        subscription_id="sub_acme",
        action=action,
    )
    run(payments.apply_invoice_action, request)
    call = calls(sandbox, "stripe")[-1]
    assert (call["method"], call["path"]) == (method, path)
    assert call["idempotency_key"] == f"dunning-in_acme-{action}"
    subscription = sandbox.state.subscriptions["sub_acme"]
    if check == "canceled":
        assert subscription["status"] == "canceled"
    if check == "paused":
        assert subscription["pause_collection"] == {"behavior": "void"}


def test_customer_email_is_corrected(payments: PaymentActivities, sandbox: SandboxServer) -> None:
    update = ContactUpdate(
        customer_id="cus_acme", company_id=None, email="ap2@acme.example", name=None
    )
    run(payments.update_customer_email, update)
    assert sandbox.state.customers["cus_acme"]["email"] == "ap2@acme.example"


@pytest.mark.parametrize(
    ("status", "error_type", "non_retryable"),
    [
        (500, TRANSIENT_TYPE, False),
        (503, TRANSIENT_TYPE, False),
        (429, TRANSIENT_TYPE, False),
        (400, PERMANENT_TYPE, True),
        (401, PERMANENT_TYPE, True),
        (403, PERMANENT_TYPE, True),
        (404, PERMANENT_TYPE, True),
    ],
)
def test_error_classes(
    payments: PaymentActivities,
    sandbox: SandboxServer,
    status: int,
    error_type: str,
    non_retryable: bool,
) -> None:
    inject(sandbox, "stripe", status, headers={"Retry-After": "7"})
    with pytest.raises(ApplicationError) as raised:
        run(payments.read_invoice, "in_acme")
    assert raised.value.type == error_type
    assert raised.value.non_retryable is non_retryable
    assert "stripe" in str(raised.value)
    if status == 429:
        assert raised.value.next_retry_delay is not None
        assert raised.value.next_retry_delay.total_seconds() == 7


def test_unknown_invoice_fails_fast_naming_it(payments: PaymentActivities) -> None:
    with pytest.raises(ApplicationError) as raised:
        run(payments.read_invoice, "in_missing")
    assert raised.value.non_retryable
    assert "in_missing" in str(raised.value)


def test_timeout_is_transient(sandbox: SandboxServer) -> None:
    import stripe

    client = stripe.StripeClient(
        "sk_test_x",
        base_addresses={"api": sandbox.base_url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.3),
    )
    inject(sandbox, "stripe", 0, delay_seconds=1.0)
    with pytest.raises(ApplicationError) as raised:
        run(PaymentActivities(client).read_invoice, "in_acme")
    assert raised.value.type == TRANSIENT_TYPE
    assert not raised.value.non_retryable


def test_a_retry_finds_its_own_earlier_charge(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    sandbox.state.invoices["in_acme"].spec.attempt_outcomes[:] = ["succeeded"]
    request = ChargeRequest(invoice_id="in_acme", attempt=1)
    assert run(payments.charge_invoice, request).status == "succeeded"
    again = retry_attempt().run(payments.charge_invoice, request)
    assert again.status == "succeeded", "credited to the case's own retry"
    assert sandbox.state.invoices["in_acme"].charges == 1


def test_a_retry_finds_the_invoice_paid_elsewhere(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    sandbox.state.invoices["in_acme"].status = "paid"
    result = retry_attempt().run(
        payments.charge_invoice, ChargeRequest(invoice_id="in_acme", attempt=1)
    )
    assert result.status == "already_paid"
    assert sandbox.state.invoices["in_acme"].charges == 0


HALF_A_DAY_AGO = timedelta(hours=13)


def test_stripe_forgets_a_key_after_its_life(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    # The control for the tests below: past its life, the same key charges again.
    sandbox.state.key_life_seconds = 0
    request = ChargeRequest(invoice_id="in_acme", attempt=1)
    run(payments.charge_invoice, request)
    retry_attempt().run(payments.charge_invoice, request)
    assert sandbox.state.invoices["in_acme"].charges == 2


def test_a_charge_retried_past_the_renewal_uses_a_new_key(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    request = ChargeRequest(invoice_id="in_acme", attempt=3)
    retry = retry_attempt(40, first_scheduled_ago=HALF_A_DAY_AGO)
    assert retry.run(payments.charge_invoice, request).status == "declined"
    (pay,) = [c for c in calls(sandbox, "stripe") if c["path"].endswith("/pay")]
    assert pay["idempotency_key"] == "dunning-in_acme-attempt-3-renewed-1"


@pytest.mark.parametrize("pays", [True, False])
def test_past_the_renewal_an_earlier_try_s_charge_is_the_answer(
    payments: PaymentActivities, sandbox: SandboxServer, pays: bool
) -> None:
    # An earlier try charged the card (its answer was lost), then Stripe was down for half
    # a day and forgot the key. The retry reads that charge instead of charging again.
    record = sandbox.state.invoices["in_acme"]
    if pays:
        record.spec.attempt_outcomes[:] = ["succeeded"]
    sandbox.state.key_life_seconds = 0
    request = ChargeRequest(invoice_id="in_acme", attempt=2)
    retry = retry_attempt(1, first_scheduled_ago=timedelta(seconds=5))
    first = retry.run(payments.charge_invoice, request)
    later = retry_attempt(30, first_scheduled_ago=HALF_A_DAY_AGO)
    record.latest_charge = {**(record.latest_charge or {}), "created": int(time.time()) - 3600}
    again = later.run(payments.charge_invoice, request)
    assert again.status == first.status == ("succeeded" if pays else "declined")
    assert again.decline == first.decline
    assert record.charges == 1, "the card was charged once"


def test_past_the_renewal_a_charge_made_before_the_attempt_is_not_its_answer(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    record = sandbox.state.invoices["in_acme"]
    run(payments.charge_invoice, ChargeRequest(invoice_id="in_acme", attempt=1))
    record.latest_charge = {**(record.latest_charge or {}), "created": int(time.time()) - 86400}
    later = retry_attempt(30, first_scheduled_ago=HALF_A_DAY_AGO)
    later.run(payments.charge_invoice, ChargeRequest(invoice_id="in_acme", attempt=2))
    assert record.charges == 2, "attempt 2 is a charge of its own"


@pytest.mark.parametrize("status", ["void", "uncollectible", "paid"])
def test_a_charge_that_finds_the_invoice_settled_charges_nothing(
    payments: PaymentActivities, sandbox: SandboxServer, status: str
) -> None:
    sandbox.state.invoices["in_acme"].status = status
    result = run(payments.charge_invoice, ChargeRequest(invoice_id="in_acme", attempt=1))
    assert (result.status, result.invoice_status) == (
        "already_paid" if status == "paid" else "not_payable",
        status,
    )
    assert not [c for c in calls(sandbox, "stripe") if c["path"].endswith("/pay")]


def test_a_connection_reset_after_stripe_took_the_charge_charges_once(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    sandbox.state.invoices["in_acme"].spec.attempt_outcomes[:] = ["succeeded"]
    inject(sandbox, "stripe", 0, path_prefix="/v1/invoices/in_acme/pay", reset=True)
    request = ChargeRequest(invoice_id="in_acme", attempt=1)
    with pytest.raises(ApplicationError) as raised:
        run(payments.charge_invoice, request)
    assert (raised.value.type, raised.value.non_retryable) == (TRANSIENT_TYPE, False)
    assert retry_attempt().run(payments.charge_invoice, request).status == "succeeded"
    assert sandbox.state.invoices["in_acme"].charges == 1


def test_the_invoice_s_tax_is_read_for_the_contract_check(
    payments: PaymentActivities, sandbox: SandboxServer
) -> None:
    sandbox.state.invoices["in_acme"].spec.tax = 800
    assert run(payments.read_invoice, "in_acme").tax == 800
    sandbox.state.invoices["in_acme"].spec.tax = 0
    assert run(payments.read_invoice, "in_acme").tax == 0, "Stripe's null tax is none"
