"""The sandbox's world clock: what a behavioural world does, and how it announces it."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox.announce import signature
from sandbox.server import SandboxServer
from webhooks.signature import verify
from worlds.model import World


def test_the_sandbox_signs_as_stripe_does() -> None:
    payload = json.dumps({"id": "evt_1", "type": "invoice.paid"}).encode()
    header = signature(payload, "whsec_test", int(time.time()))
    verify(payload, header, ["whsec_other", "whsec_test"])


@contextmanager
def clocked(played: World, day_seconds: float, **options: Any) -> Iterator[SandboxServer]:
    """A sandbox playing `played` on its clock, stopped after the test."""
    server = SandboxServer(played, day_seconds=day_seconds, **options)
    try:
        yield server
    finally:
        server.server_close()
        if server.behaviours:
            server.behaviours.stop()


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
    with clocked(world(funds_return_day=None, reactions=[reaction]), day_seconds=0.05) as server:
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


def test_the_card_declines_until_its_funds_return() -> None:
    with clocked(world(funds_return_day=0.2), day_seconds=1) as server:
        from sandbox.stripe_api import handle

        declined, body, _ = handle(server.state, "POST", "/v1/invoices/in_a/pay", {})
        assert declined == 402 and body["error"]["decline_code"] == "insufficient_funds"
        time.sleep(0.25)
        paid, _, _ = handle(server.state, "POST", "/v1/invoices/in_a/pay", {})
        assert paid == 200
        charges = server.state.invoices["in_a"].card_charges
        assert [c.succeeded for c in charges["fp_cus_a"]] == [False, False, True], (
            "the failure, the decline, the charge that paid"
        )
        # Stripe announces what each charge did, whoever asked for it.
        told = [(e["type"], e["object"]) for e in server.announcer.sent]
        assert told[-2:] == [("invoice.payment_failed", "in_a"), ("invoice.paid", "in_a")]


def test_network_fees_count_the_failure_that_opened_the_case() -> None:
    # A stolen card (Visa category 1): the networks bill every retry after its decline,
    # the first one too, so the failure must be the card's first charge.
    stolen = World.model_validate(
        {
            "customers": [{"id": "cus_s", "name": "S", "email": "s@s.example"}],
            "invoices": [
                {
                    "id": "in_s",
                    "customer": "cus_s",
                    "amount_due": 5000,
                    "currency": "usd",
                    "collection_method": "charge_automatically",
                    "payment_method_type": "card",
                    "failure": {
                        "code": "card_declined",
                        "decline_code": "stolen_card",
                        "network_decline_code": "43",
                    },
                    "attempt_outcomes": ["stolen_card"],
                }
            ],
        }
    )
    with clocked(stolen, day_seconds=0.05) as server:
        from sandbox.server import _snapshot
        from sandbox.stripe_api import handle

        record = server.state.invoices["in_s"]
        deadline = time.monotonic() + 5
        while not record.card_charges and time.monotonic() < deadline:
            time.sleep(0.02)  # the world announces the failure on its day 0
        declined, _, _ = handle(server.state, "POST", "/v1/invoices/in_s/pay", {})
        assert declined == 402
        charges = record.card_charges["fp_cus_s"]
        assert [c.decline_code for c in charges] == ["stolen_card", "stolen_card"]
        assert _snapshot(server.state)["invoices"]["in_s"]["network_fees"] > 0


def test_a_world_on_a_clock_announces_a_scripted_invoice_s_failure_on_its_day() -> None:
    # A scripted invoice fails on its day like a behavioural one; one without a failure
    # (a world for cases started by hand) is not announced, and still loads.
    scripted = {
        "customer": "cus_s",
        "amount_due": 5000,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "attempt_outcomes": ["insufficient_funds", "succeeded"],
    }
    failure = {"code": "card_declined", "decline_code": "insufficient_funds"}
    world = World.model_validate(
        {
            "customers": [{"id": "cus_s", "name": "S", "email": "s@s.example"}],
            "invoices": [
                {**scripted, "id": "in_failed", "failure": failure, "fails_on_day": 0.1},
                {**scripted, "id": "in_by_hand"},
            ],
        }
    )
    with clocked(world, day_seconds=0.2) as server:
        behaviours = server.behaviours
        assert behaviours is not None
        deadline = time.monotonic() + 5
        while not behaviours.announced and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        assert behaviours.announced == ["in_failed"]
        assert [e["type"] for e in server.announcer.sent] == ["invoice.payment_failed"]


def test_a_payment_never_overtakes_the_failure_it_follows() -> None:
    # The customer pays the moment the invoice falls due. In real time the product hears of
    # the failure first; on a compressed clock the webhook takes a noticeable part of a day,
    # so the payment waits for the product's answer: the product reads the invoice open,
    # opens its case, and then hears of the payment.
    seen: list[tuple[str, str]] = []
    server: SandboxServer | None = None

    class SlowEndpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert server is not None
            seen.append((event["type"], server.state.invoices["in_n"].status))
            time.sleep(0.3)  # the product opens its case
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    endpoint = ThreadingHTTPServer(("127.0.0.1", 0), SlowEndpoint)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    net_terms = World.model_validate(
        {
            "customers": [{"id": "cus_n", "name": "N", "email": "n@n.example"}],
            "invoices": [
                {
                    "id": "in_n",
                    "customer": "cus_n",
                    "amount_due": 5000,
                    "currency": "usd",
                    "collection_method": "send_invoice",
                    "payment_method_type": "invoice",
                    "fails_on_day": 0.1,
                    "behaviour": {"pays_on_day": 0.1},
                }
            ],
        }
    )
    url = f"http://127.0.0.1:{endpoint.server_address[1]}/"
    server = SandboxServer(net_terms, day_seconds=1, webhook_url=url, webhook_secret="whsec_t")
    try:
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == [("invoice.overdue", "open"), ("invoice.paid", "paid")]
    finally:
        server.server_close()
        if server.behaviours:
            server.behaviours.stop()
        endpoint.shutdown()
