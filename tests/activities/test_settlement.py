"""Bank debits through stripe-python against a sandbox on a world clock: a debit is
`processing` when Stripe accepts it, and its settlement is read from the invoice's last
charge once the bank answered."""

import time
from collections.abc import Iterator

import pytest

from activities.clients import stripe_client
from activities.payments import PaymentActivities
from dunning.providers.requests import ChargeRequest, ChargeResult, ChargeStatus
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from tests.activities.conftest import calls, first_attempt
from worlds.model import World

DAY_SECONDS = 0.5
run = first_attempt().run


def debit(invoice_id: str, customer: str, funds_return_day: float | None) -> dict[str, object]:
    return {
        "id": invoice_id,
        "customer": customer,
        "amount_due": 4000,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "ach_debit",
        "failure": {"code": "insufficient_funds", "network_decline_code": "R01"},
        "behaviour": {"funds_return_day": funds_return_day, "settles_after_days": 1},
    }


@pytest.fixture
def banks() -> Iterator[SandboxServer]:
    world = World.model_validate(
        {
            "customers": [
                {"id": "cus_funded", "name": "F", "email": "f@f.example"},
                {"id": "cus_broke", "name": "B", "email": "b@b.example"},
            ],
            "invoices": [debit("in_funded", "cus_funded", 0), debit("in_broke", "cus_broke", None)],
        }
    )
    server = SandboxServer(world, day_seconds=DAY_SECONDS)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def settled(payments: PaymentActivities, invoice_id: str) -> ChargeResult:
    deadline = time.monotonic() + 20 * DAY_SECONDS
    while True:
        result = run(payments.read_settlement, invoice_id)
        if result.status is not ChargeStatus.PROCESSING or time.monotonic() > deadline:
            return result
        time.sleep(DAY_SECONDS / 5)


def test_a_debit_is_processing_until_the_bank_pays_it(banks: SandboxServer) -> None:
    payments = PaymentActivities(stripe_client(settings_for(banks.base_url)))
    charged = run(payments.charge_invoice, ChargeRequest(invoice_id="in_funded", attempt=1))
    assert charged.status is ChargeStatus.PROCESSING
    assert run(payments.read_settlement, "in_funded").status is ChargeStatus.PROCESSING
    assert banks.state.invoices["in_funded"].status == "open", "not paid while processing"

    result = settled(payments, "in_funded")

    assert result.status is ChargeStatus.SUCCEEDED
    assert banks.state.invoices["in_funded"].status == "paid"
    pays = [c for c in calls(banks, "stripe") if c["path"].endswith("/pay")]
    assert len(pays) == 1, "reading the settlement never charges"


def test_a_returned_debit_reads_as_a_decline_with_the_return_code(banks: SandboxServer) -> None:
    payments = PaymentActivities(stripe_client(settings_for(banks.base_url)))
    run(payments.charge_invoice, ChargeRequest(invoice_id="in_broke", attempt=1))

    result = settled(payments, "in_broke")

    assert result.status is ChargeStatus.DECLINED and result.decline is not None
    assert result.decline.code == "insufficient_funds"
    assert result.decline.network_decline_code == "R01"
    assert banks.state.invoices["in_broke"].status == "open"
    # Presented again once it came back: a new debit, processing again.
    again = run(payments.charge_invoice, ChargeRequest(invoice_id="in_broke", attempt=2))
    assert again.status is ChargeStatus.PROCESSING
