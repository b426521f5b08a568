"""A card's other charges, read from Stripe's charge list through stripe-python: the
network caps are the card's, across the customer's invoices."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activities.clients import stripe_client
from activities.payments import PaymentActivities
from dunning.providers.cards import CardHistoryRequest
from dunning.providers.requests import ChargeRequest
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from tests.activities.conftest import first_attempt
from worlds.model import World

run = first_attempt().run


def invoice(invoice_id: str, customer: str) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "customer": customer,
        "amount_due": 2500,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
        "attempt_outcomes": ["insufficient_funds"],
    }


@pytest.fixture
def busy() -> Iterator[SandboxServer]:
    world = World.model_validate(
        {
            "customers": [
                {"id": "cus_busy", "name": "Busy", "email": "a@busy.example"},
                {"id": "cus_other", "name": "Other", "email": "a@other.example"},
            ],
            "invoices": [
                invoice("in_one", "cus_busy"),
                invoice("in_two", "cus_busy"),
                invoice("in_else", "cus_other"),
            ],
        }
    )
    server = SandboxServer(world)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def history_for(payments: PaymentActivities, invoice_id: str, since: datetime) -> list[Any]:
    request = CardHistoryRequest(
        customer_id="cus_busy",
        invoice_id=invoice_id,
        card_fingerprint="fp_cus_busy",
        since=since,
    )
    return run(payments.read_card_history, request).charges


def test_the_other_invoices_charges_on_the_card_are_read(busy: SandboxServer) -> None:
    payments = PaymentActivities(stripe_client(settings_for(busy.base_url)))
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    for attempt in (1, 2, 3):
        run(payments.charge_invoice, ChargeRequest(invoice_id="in_one", attempt=attempt))
    run(payments.charge_invoice, ChargeRequest(invoice_id="in_else", attempt=1))

    seen_by_two = history_for(payments, "in_two", hour_ago)
    assert len(seen_by_two) == 3, "in_one's charges, not another customer's"
    assert {use.invoice_id for use in seen_by_two} == {"in_one"}
    assert not any(use.succeeded for use in seen_by_two)
    assert [use.at for use in seen_by_two] == sorted(use.at for use in seen_by_two)
    assert history_for(payments, "in_one", hour_ago) == [], "its own charges are its attempts"
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert history_for(payments, "in_two", later) == [], "only charges since the window"


def test_every_page_of_the_charge_list_is_read(busy: SandboxServer) -> None:
    # 120 charges: more than one page of 100.
    for _ in range(120):
        busy.state.invoices["in_one"].charged({"code": "card_declined"})
    payments = PaymentActivities(stripe_client(settings_for(busy.base_url)))

    uses = history_for(payments, "in_two", datetime.now(UTC) - timedelta(hours=1))

    assert len(uses) == 120
    lists = [c for c in busy.state.calls if c["path"] == "/v1/charges"]
    assert len(lists) == 2
    assert lists[1]["body"]["starting_after"], "the second page starts after the first"
