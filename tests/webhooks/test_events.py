"""What each Stripe event means."""

from datetime import UTC, datetime
from typing import Any

import pytest

from dunning.contract.enums import OperatorAction
from dunning.contract.messages import (
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    StripeEvent,
)
from webhooks.events import (
    Ignore,
    MalformedEvent,
    OpenCase,
    RouteDispute,
    SignalCase,
    SignalCustomerCases,
    WatchRenewal,
    plan_event,
)


def event(kind: str, obj: dict[str, Any], **data: Any) -> dict[str, Any]:
    return {"id": "evt_1", "type": kind, "data": {"object": obj, **data}}


def test_a_failed_invoice_opens_its_case() -> None:
    assert plan_event(event("invoice.payment_failed", {"id": "in_1"})) == OpenCase("in_1")


def test_an_overdue_net_terms_invoice_opens_its_case() -> None:
    assert plan_event(event("invoice.overdue", {"id": "in_2"})) == OpenCase("in_2")


def test_paid_voided_and_uncollectible_are_confirmed_by_the_invoice_status() -> None:
    paid = plan_event(event("invoice.paid", {"id": "in_1", "charge": "ch_1"}))
    assert isinstance(paid, SignalCase) and paid.confirmed_by == {"paid"}
    assert paid.payload == InvoicePaid(source_event_id="evt_1", via="stripe", reference="ch_1")
    voided = plan_event(event("invoice.voided", {"id": "in_1"}))
    assert isinstance(voided, SignalCase) and isinstance(voided.payload, OperatorDecision)
    assert voided.payload.action is OperatorAction.CANCEL_DUNNING
    written = plan_event(event("invoice.marked_uncollectible", {"id": "in_1"}))
    assert isinstance(written, SignalCase) and written.confirmed_by == {"uncollectible"}


@pytest.mark.parametrize(
    ("kind", "obj", "data", "method"),
    [
        ("payment_method.attached", {"id": "pm_1", "customer": "cus_a"}, {}, "pm_1"),
        (
            "setup_intent.succeeded",
            {"id": "seti_1", "customer": "cus_a", "payment_method": "pm_2"},
            {},
            "pm_2",
        ),
        (
            "customer.updated",
            {"id": "cus_a", "invoice_settings": {"default_payment_method": "pm_3"}},
            {"previous_attributes": {"invoice_settings": {"default_payment_method": None}}},
            "pm_3",
        ),
    ],
)
def test_a_new_payment_method_reaches_the_customers_cases(
    kind: str, obj: dict[str, Any], data: dict[str, Any], method: str
) -> None:
    plan = plan_event(event(kind, obj, **data))
    update = PaymentMethodUpdated(source_event_id="evt_1", payment_method_id=method)
    assert plan == SignalCustomerCases("cus_a", update)


@pytest.mark.parametrize("customer", ["cus_a", "acme-b", "c_self.3", "a@b.example"])
def test_any_id_a_query_can_name_finds_the_customer_s_cases(customer: str) -> None:
    plan = plan_event(event("payment_method.attached", {"id": "pm_1", "customer": customer}))
    assert isinstance(plan, SignalCustomerCases) and plan.customer_id == customer


def test_a_card_attached_again_is_named_by_its_fingerprint() -> None:
    attached = {"id": "pm_1", "customer": "cus_a", "card": {"fingerprint": "fp_same"}}
    plan = plan_event(event("payment_method.attached", attached))
    assert isinstance(plan, SignalCustomerCases)
    assert plan.payload.card_fingerprint == "fp_same"


def test_other_changes_are_ignored() -> None:
    unrelated = event("customer.updated", {"id": "cus_a"}, previous_attributes={"email": "x"})
    assert isinstance(plan_event(unrelated), Ignore)
    assert isinstance(plan_event(event("charge.refunded", {"id": "ch_1"})), Ignore)
    injected = event("payment_method.attached", {"id": "pm_1", "customer": "cus_a' OR 1=1"})
    ignored = plan_event(injected)
    assert isinstance(ignored, Ignore), "only ids reach a list query"
    assert "no customer id its cases can be found by" in ignored.reason


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"id": "evt_1"},
        {"id": "evt_1", "type": "x", "data": {}},
        event("invoice.paid", {}),
        event("payment_method.attached", {"id": "pm_" + "x" * 300, "customer": "cus_a"}),
    ],
)
def test_malformed_events_are_refused(bad: Any) -> None:
    with pytest.raises(MalformedEvent):
        plan_event(bad)


def test_an_invoice_paid_by_credit_reaches_its_case_as_an_event_to_read() -> None:
    paid = plan_event(event("invoice.paid", {"id": "in_1"}))
    assert isinstance(paid, SignalCase)
    assert paid.message({"amount_paid": 100})[0] == "invoice_paid"
    signal, payload = paid.message({"pre_payment_credit_notes_amount": 100})
    assert (signal, payload) == (
        "stripe_event",
        StripeEvent(type="invoice.paid", source_event_id="evt_1"),
    )


def test_a_stripe_event_says_when_it_happened_and_a_bad_date_is_left_out() -> None:
    dated = {
        **event("credit_note.created", {"id": "cn_1", "invoice": "in_2"}),
        "created": 1767225600,
    }
    plan = plan_event(dated)
    assert isinstance(plan, SignalCase)
    _, payload = plan.message({})
    assert isinstance(payload, StripeEvent)
    assert payload.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)
    for bad in ("yesterday", True, 10**20):
        plan = plan_event({**dated, "created": bad})
        assert isinstance(plan, SignalCase)
        _, payload = plan.message({})
        assert isinstance(payload, StripeEvent) and payload.occurred_at is None, bad


def test_money_moving_in_parts_is_read_by_the_invoices_case() -> None:
    before = {"previous_attributes": {"amount_paid": 0, "amount_remaining": 100}}
    updated = plan_event(event("invoice.updated", {"id": "in_1"}, **before))
    assert isinstance(updated, SignalCase) and updated.signal == "stripe_event"
    assert updated.confirmed_by == {"open", "paid"}
    credit = plan_event(event("credit_note.created", {"id": "cn_1", "invoice": "in_2"}))
    assert isinstance(credit, SignalCase) and credit.invoice_id == "in_2"


def test_a_dispute_is_planned_from_its_charge_amount_and_reason() -> None:
    dispute = {
        "id": "dp_1",
        "charge": "ch_1",
        "amount": 500,
        "currency": "eur",
        "reason": "fraudulent",
    }
    assert plan_event(event("charge.dispute.created", dispute)) == RouteDispute(
        "dp_1", "ch_1", 500, "eur", "fraudulent"
    )
    no_charge = plan_event(event("charge.dispute.created", {"id": "dp_2", "amount": 5}))
    assert isinstance(no_charge, Ignore)


def test_an_upcoming_renewal_is_watched_and_one_without_a_date_is_not() -> None:
    upcoming = {
        "object": "invoice",
        "customer": "cus_1",
        "subscription": "sub_1",
        "amount_due": 900,
        "currency": "usd",
        "next_payment_attempt": 1_800_000_000,
    }
    assert plan_event(event("invoice.upcoming", upcoming)) == WatchRenewal(
        "sub_1", "cus_1", 900, "usd", 1_800_000_000
    )
    undated = upcoming | {"next_payment_attempt": None}
    assert isinstance(plan_event(event("invoice.upcoming", undated)), Ignore)
