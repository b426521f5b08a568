"""A card retry asks Stripe for the card's other charges in the same activity: the card is
charged only if they leave room under its network caps."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activities.clients import stripe_client
from activities.payments import PaymentActivities
from dunning.providers.cards import CardRoom
from dunning.providers.requests import ChargeRequest, ChargeResult, ChargeStatus
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from tests.activities.conftest import first_attempt, inject
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


def room(others: int, declines: int = 9) -> CardRoom:
    now = datetime.now(UTC)
    return CardRoom(
        customer_id="cus_busy",
        card_fingerprint="fp_cus_busy",
        window_start=now - timedelta(hours=1),
        other_charges=others,
        day_start=now - timedelta(hours=1),
        other_declines=declines,
    )


def charge(payments: PaymentActivities, invoice_id: str, attempt: int, **more: Any) -> ChargeResult:
    result: ChargeResult = run(
        payments.charge_invoice, ChargeRequest(invoice_id=invoice_id, attempt=attempt, **more)
    )
    return result


def test_a_card_whose_other_charges_fill_its_room_is_not_charged(busy: SandboxServer) -> None:
    payments = PaymentActivities(stripe_client(settings_for(busy.base_url)))
    for attempt in (1, 2, 3):
        charge(payments, "in_one", attempt)
    charge(payments, "in_else", 1)

    full = charge(payments, "in_two", 1, room=room(others=2))

    assert full.status is ChargeStatus.CARD_BUSY
    assert len(full.card_uses) == 3, "in_one's charges, not another customer's"
    assert {use.invoice_id for use in full.card_uses} == {"in_one"}
    pays = [c for c in busy.state.calls if c["path"] == "/v1/invoices/in_two/pay"]
    assert pays == [], "nothing was charged"
    declines_full = charge(payments, "in_two", 1, room=room(others=10, declines=2))
    assert declines_full.status is ChargeStatus.CARD_BUSY, "three declines today"

    roomy = charge(payments, "in_two", 1, room=room(others=3))
    assert roomy.status is ChargeStatus.DECLINED and len(roomy.card_uses) == 3
    # For in_one, only in_two's one charge is another's: its own three are its attempts.
    own = charge(payments, "in_one", 4, room=room(others=1, declines=1))
    assert own.status is ChargeStatus.DECLINED and len(own.card_uses) == 1


def test_every_page_of_the_charge_list_is_read(busy: SandboxServer) -> None:
    # 120 charges: more than one page of 100.
    for _ in range(120):
        busy.state.invoices["in_one"].charged({"code": "card_declined"})
    payments = PaymentActivities(stripe_client(settings_for(busy.base_url)))

    result = charge(payments, "in_two", 1, room=room(others=119))

    assert result.status is ChargeStatus.CARD_BUSY and len(result.card_uses) == 120
    lists = [c for c in busy.state.calls if c["path"] == "/v1/charges"]
    assert len(lists) == 2
    assert lists[1]["body"]["starting_after"], "the second page starts after the first"


def test_a_key_that_may_not_list_charges_charges_on_the_cases_own_count(
    busy: SandboxServer,
) -> None:
    inject(busy, "stripe", 403, path_prefix="/v1/charges")
    payments = PaymentActivities(stripe_client(settings_for(busy.base_url)))

    result = charge(payments, "in_two", 1, room=room(others=0, declines=0))

    assert result.status is ChargeStatus.DECLINED and result.card_uses == []
