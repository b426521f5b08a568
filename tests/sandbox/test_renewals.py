"""Renewals on the sandbox's world clock: the coming invoice announced ahead, the renewal
issued and charged on its day, an expired card declining unless it was replaced."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from activities.clients import stripe_client
from activities.stripe_answers import po_number_of
from harness.sandbox_world import settings_for
from sandbox.server import SandboxServer
from worlds.model import World

DAY_SECONDS = 0.2


def renewing(sub_id: str, customer: str, day: float, exp: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": sub_id,
        "customer": customer,
        "amount": 9900,
        "currency": "usd",
        "renews_on_day": day,
        "payment_method_type": "card",
        "card": {"exp_month": exp[0], "exp_year": exp[1]},
    }


@contextmanager
def running(notice_days: float, *subscriptions: dict[str, Any]) -> Iterator[SandboxServer]:
    """A sandbox whose world is these renewals, one customer each, from 2026-01-20."""
    world = World.model_validate(
        {
            "calendar_start": "2026-01-20T00:00:00Z",
            "upcoming_notice_days": notice_days,
            "customers": [
                {"id": s["customer"], "name": s["customer"], "email": f"{s['customer']}@x.example"}
                for s in subscriptions
            ],
            "invoices": [],
            "subscriptions": list(subscriptions),
        }
    )
    server = SandboxServer(world, day_seconds=DAY_SECONDS)
    server.start_background()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        if server.behaviours:
            server.behaviours.stop()


def test_renewals_are_announced_ahead_issued_and_charged_as_their_cards_allow() -> None:
    with running(
        2,
        renewing("sub_good", "cus_good", 3, (12, 2027)),
        renewing("sub_expired", "cus_expired", 15, (1, 2026)),
        renewing("sub_replaced", "cus_replaced", 15, (1, 2026)),
    ) as server:
        listed = stripe_client(settings_for(server.base_url)).v1.subscriptions.list()
        ends = {s.id: s.to_dict()["current_period_end"] for s in listed.data}
        assert ends["sub_good"] == int(datetime(2026, 1, 23, tzinfo=UTC).timestamp())
        # The customer of sub_replaced attaches a new card before the renewal.
        server.state.customers["cus_replaced"]["default_payment_method"] = "pm_new"
        time.sleep(17 * DAY_SECONDS)

        events = [(e["type"]) for e in server.announcer.sent]
        assert events.count("invoice.upcoming") == 3
        assert events.count("invoice.paid") == 2 and events.count("invoice.payment_failed") == 1
        assert server.state.renewals == {
            "sub_good": "paid",
            "sub_expired": "failed",
            "sub_replaced": "prevented",
        }
        failed = server.state.invoices["in_sub_expired_renewal"]
        assert failed.status == "open" and failed.last_decline is not None
        assert failed.last_decline["decline_code"] == "expired_card"
        assert server.behaviours is not None
        assert "in_sub_expired_renewal" in server.behaviours.announced


def test_a_renewal_keeps_the_po_its_subscription_held_when_it_was_issued() -> None:
    invoiced = {
        **renewing("sub_net", "cus_net", 2, (12, 2030)),
        "collection_method": "send_invoice",
        "payment_method_type": "invoice",
        "days_until_due": 5,
        "card": None,
    }
    with running(
        1,
        renewing("sub_card", "cus_card", 2, (1, 2026)),
        invoiced,
        renewing("sub_late", "cus_late", 2, (1, 2026)),
    ) as server:
        stripe = stripe_client(settings_for(server.base_url))
        for sub_id in ("sub_card", "sub_net"):
            stripe.v1.subscriptions.update(sub_id, {"metadata": {"po_number": f"PO-{sub_id}"}})
        time.sleep(3 * DAY_SECONDS)
        stripe.v1.subscriptions.update("sub_late", {"metadata": {"po_number": "PO-too-late"}})
        read = {
            sub_id: stripe.v1.invoices.retrieve(f"in_{sub_id}_renewal").to_dict()
            for sub_id in ("sub_card", "sub_net", "sub_late")
        }
        assert po_number_of(read["sub_card"]) == "PO-sub_card"
        assert po_number_of(read["sub_net"]) == "PO-sub_net", "an invoiced renewal too"
        assert read["sub_net"]["subscription_details"] == {"metadata": {"po_number": "PO-sub_net"}}
        assert po_number_of(read["sub_late"]) is None, "stored after the invoice was issued"
