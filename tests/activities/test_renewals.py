"""Renewals read from Stripe: the subscription's period end, price, card and PO, on the
clock its customer runs on; a PO stored on the subscription reaches the renewal invoice."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from activities import payments as payments_module
from activities.clients import stripe_client
from activities.payments import PaymentActivities
from activities.stripe_answers import renewal_facts
from dunning.providers.renewals import RenewalPo
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from worlds.model import World

NOW = datetime(2026, 5, 1, tzinfo=UTC)
DAY_SECONDS = 0.2


def test_a_renewal_reads_the_items_the_card_and_the_po_on_the_test_clock() -> None:
    pays_with = {"default_payment_method": {"card": {"exp_month": 4, "exp_year": 2027}}}
    subscription: dict[str, Any] = {
        "id": "sub_1",
        "customer": {"id": "cus_1", "email": "billing@acme.example", "invoice_settings": pays_with},
        "currency": "eur",
        "items": {
            "data": [
                {"price": {"unit_amount": 1000}, "quantity": 3, "current_period_end": 1_800_000},
                {"price": {"unit_amount": 500}},
            ]
        },
        "default_payment_method": None,
        "metadata": {"po_number": "PO-1"},
        "test_clock": {"id": "clock_1", "frozen_time": 1_700_000},
    }
    facts = renewal_facts(subscription, NOW)
    assert facts is not None
    assert (facts.amount, facts.currency, facts.email, facts.po_number) == (
        3500,
        "eur",
        "billing@acme.example",
        "PO-1",
    )
    assert facts.renews_at == datetime.fromtimestamp(1_800_000, UTC)  # newer API: on the items
    assert facts.as_of == datetime.fromtimestamp(1_700_000, UTC)  # the test clock, not now
    assert (facts.card_exp_month, facts.card_exp_year) == (4, 2027)


def test_a_subscription_without_a_period_end_price_or_customer_is_no_renewal() -> None:
    whole = {
        "id": "sub_1",
        "customer": "cus_1",
        "current_period_end": 1_800_000,
        "items": {"data": [{"price": {"unit_amount": 1000}}]},
    }
    assert renewal_facts(whole, NOW) is not None
    assert renewal_facts(whole | {"current_period_end": None}, NOW) is None
    assert renewal_facts(whole | {"items": {"data": [{"price": {}}]}}, NOW) is None
    assert renewal_facts(whole | {"customer": None}, NOW) is None
    assert renewal_facts(whole, NOW).as_of == NOW  # type: ignore[union-attr]


@pytest.fixture
def renewals_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    monkeypatch.setattr(payments_module, "RENEWALS_PAGE", 2)
    world = World.model_validate(
        {
            "calendar_start": "2026-01-01T00:00:00Z",
            "customers": [
                {"id": "cus_po", "name": "PO", "email": "po@x.example", "po_required": True}
            ],
            "invoices": [],
            "subscriptions": [
                {
                    "id": f"sub_{n}",
                    "customer": "cus_po",
                    "amount": 1000 * (n + 1),
                    "currency": "usd",
                    "renews_on_day": 3 + n,
                    "card": {"exp_month": 12, "exp_year": 2030},
                }
                for n in range(3)
            ],
        }
    )
    server = SandboxServer(world, day_seconds=DAY_SECONDS)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def test_every_page_is_read_on_the_world_s_clock(renewals_world: SandboxServer) -> None:
    stripe = PaymentActivities(stripe_client(settings_for(renewals_world.base_url)))
    first = stripe.list_renewals(None)
    assert [r.subscription_id for r in first.renewals] == ["sub_0", "sub_1"]
    assert first.next_page == "sub_1"
    last = stripe.list_renewals(first.next_page)
    assert [r.subscription_id for r in last.renewals] == ["sub_2"] and last.next_page is None
    renewal = first.renewals[0]
    assert renewal.email == "po@x.example" and renewal.amount == 1000
    days = (renewal.renews_at - renewal.as_of).total_seconds() / 86_400
    assert 2.5 < days <= 3  # the world's calendar, not the machine's


def test_a_po_stored_on_the_subscription_is_carried_by_its_renewal_invoice(
    renewals_world: SandboxServer,
) -> None:
    stripe = PaymentActivities(stripe_client(settings_for(renewals_world.base_url)))
    stripe.store_renewal_po(RenewalPo(subscription_id="sub_0", po_number="PO-555"))
    [renewal, *_] = stripe.list_renewals(None).renewals
    assert renewal.po_number == "PO-555"
    time.sleep(3.5 * DAY_SECONDS)
    invoice = stripe.read_invoice("in_sub_0_renewal")
    assert invoice.po_number == "PO-555"
