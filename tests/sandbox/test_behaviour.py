"""The sandbox's world clock: what a behavioural world does, and how it announces it."""

import json
import time
from typing import Any

from sandbox.announce import signature
from sandbox.server import SandboxServer
from webhooks.signature import verify
from worlds.model import World


def test_the_sandbox_signs_as_stripe_does() -> None:
    payload = json.dumps({"id": "evt_1", "type": "invoice.paid"}).encode()
    header = signature(payload, "whsec_test", int(time.time()))
    verify(payload, header, ["whsec_other", "whsec_test"])


def world(**behaviour: Any) -> World:
    return World.model_validate(
        {
            "customers": [{"id": "cus_a", "name": "A", "email": "a@a.example"}],
            "invoices": [
                {
                    "id": "in_a",
                    "customer": "cus_a",
                    "amount_due": 5000,
                    "currency": "usd",
                    "collection_method": "charge_automatically",
                    "payment_method_type": "card",
                    "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
                    "behaviour": behaviour,
                }
            ],
        }
    )


def test_a_customer_reacts_only_to_an_email_really_sent() -> None:
    reaction = {"to": "reminder", "after_days": 0, "does": "pay"}
    server = SandboxServer(world(funds_return_day=None, reactions=[reaction]), day_seconds=0.05)
    try:
        behaviours = server.behaviours
        assert behaviours is not None
        record = server.state.invoices["in_a"]
        behaviours.email_sent("in_a", "payment_failed")
        time.sleep(0.3)
        assert record.status == "open", "the payment_failed email moves nobody"
        behaviours.email_sent("in_a", "reminder")
        time.sleep(0.3)
        assert (record.status, record.paid_by) == ("paid", "customer")
        assert [e["type"] for e in server.announcer.sent][-1] == "invoice.paid"
    finally:
        server.server_close()
        if server.behaviours:
            server.behaviours.stop()


def test_the_card_declines_until_its_funds_return() -> None:
    server = SandboxServer(world(funds_return_day=0.2), day_seconds=1)
    try:
        from sandbox.stripe_api import handle

        declined, body, _ = handle(server.state, "POST", "/v1/invoices/in_a/pay", {})
        assert declined == 402 and body["error"]["decline_code"] == "insufficient_funds"
        time.sleep(0.25)
        paid, _, _ = handle(server.state, "POST", "/v1/invoices/in_a/pay", {})
        assert paid == 200
        charges = server.state.invoices["in_a"].card_charges
        assert [c.succeeded for c in charges["fp_cus_a"]] == [False, True]
    finally:
        server.server_close()
        if server.behaviours:
            server.behaviours.stop()
