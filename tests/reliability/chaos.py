"""The chaos of the chaos test: a world of cases across every failure category whose
outcomes do not hang on timing, and a seeded schedule of worker kills, a dev server restart
and provider faults."""

import asyncio
import json
import random
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from devstack.lab import Chaos
from devstack.workers import Workers
from worlds.model import World

DAY_SECONDS = 1
"""One policy day a second: a worker down for three seconds is a case three days late."""
CARD = {"collection_method": "charge_automatically", "payment_method_type": "card"}
SOFT = {"code": "card_declined", "decline_code": "insufficient_funds"}
HARD = {"code": "card_declined", "decline_code": "stolen_card"}
EXPIRED = {"code": "expired_card"}


def _react(template: str, does: str, after: float = 1.0, **more: Any) -> dict[str, Any]:
    return {"to": template, "after_days": after, "does": does, **more}


def chaos_world() -> World:
    """21 invoices, every category. Their outcomes hold however late the cases run: funds
    come back before a retry that is only ever delayed, customers answer emails after a
    delay of their own, and a net-terms payment comes long before the case could end."""
    # Each invoice has a customer of its own: a card one customer attaches reaches all of
    # that customer's open cases, which the backtest of one invoice cannot know.
    kinds: dict[str, dict[str, Any]] = {
        "cus_self": {"name": "Self"},
        "cus_mid": {"name": "Mid", "tier": "mid_market"},
        "cus_po": {
            "name": "Po",
            "tier": "mid_market",
            "po_required": True,
            "owner": {"id": "7", "name": "Owner", "email": "owner@vendor.example"},
            "ap_contact": {"email": "ap@po.example"},
        },
        "cus_net": {"name": "Net", "ap_contact": {"email": "ap@net.example"}},
    }
    customers: list[dict[str, Any]] = []
    invoices: list[dict[str, Any]] = []

    def add(name: str, kind: str, behaviour: dict[str, Any], **fields: Any) -> None:
        number = len(invoices)
        customer = f"{kind}{number:02}"
        email = {"email": f"billing@{customer.replace('_', '-')}.example"}
        customers.append({"id": customer, **email, **kinds[kind]})
        invoices.append(
            {
                "id": f"in_chaos_{number:02}_{name}",
                "customer": customer,
                "amount_due": 1000 * (number + 1),
                "currency": "usd",
                "subscription_id": f"sub_chaos_{number:02}",
                "fails_on_day": round(0.1 + 0.09 * number, 2),
                "behaviour": behaviour,
                **CARD,
                **fields,
            }
        )

    for back in (1.5, 3.5, 5.5):  # recovered by the 2nd, 3rd and 4th retry
        add("soft", "cus_self", {"funds_return_day": back}, failure=SOFT)
        add("soft", "cus_mid", {"funds_return_day": back}, failure=SOFT)
    add("soft_never", "cus_self", {"funds_return_day": None}, failure=SOFT)
    add("soft_never", "cus_self", {"funds_return_day": None}, failure=SOFT)
    add("ach", "cus_self", {"funds_return_day": 1.5}, failure=SOFT, payment_method_type="ach_debit")
    add("hard_never", "cus_self", {}, failure=HARD)
    new_card = {"reactions": [_react("payment_failed", "update_payment_method")]}
    for _ in range(2):
        add("hard_new_card", "cus_self", new_card, failure=HARD)
        add("expired_new_card", "cus_self", new_card, failure=EXPIRED)
    add("expired_never", "cus_self", {}, failure=EXPIRED)
    for _ in range(2):
        po = _react("po_request", "provide_po", po_number="PO-77")
        add("missing_po", "cus_po", {"funds_return_day": 0, "reactions": [po]}, failure=SOFT)
    net = {"collection_method": "send_invoice", "payment_method_type": "invoice"}
    add("overdue_pays", "cus_net", {"pays_on_day": 4}, **net)
    add("overdue_pays", "cus_net", {"pays_on_day": 6}, **net)
    add("overdue_answers", "cus_net", {"reactions": [_react("reminder", "pay")]}, **net)
    # Shift every fails_on_day-relative day into world days.
    for entry in invoices:
        behaviour, day = dict(entry["behaviour"]), entry["fails_on_day"]
        entry["behaviour"] = behaviour
        for key in ("funds_return_day", "pays_on_day"):
            if behaviour.get(key) is not None:
                behaviour[key] = round(behaviour[key] + day, 2)
    return World.model_validate(
        {"calendar_start": "2026-03-02T00:00:00Z", "customers": customers, "invoices": invoices}
    )


def post(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(request, timeout=10).read()


FAULTS: list[dict[str, Any]] = [
    {"provider": "stripe", "status": 500, "times": 4, "path_prefix": "/v1/invoices"},
    {"provider": "sendgrid", "status": 429, "times": 3, "headers": {"Retry-After": "1"}},
    {"provider": "hubspot", "status": 503, "times": 3},
    # Stripe takes the charge, then answers after the worker's HTTP timeout: the retry
    # must replay it under its key, not charge again.
    {
        "provider": "stripe",
        "path_prefix": "/v1/invoices/in_chaos_00_soft/pay",
        "respond_after_seconds": 3,
    },
]


def schedule(
    seed: int,
    restart_server: Callable[[], Awaitable[None]],
    record: Callable[[str], None],
    *,
    kills: int = 6,
) -> Chaos:
    """The chaos of one run, from `seed`: provider faults at once, then SIGKILLed workers
    every two to four seconds, and one dev server restart after the second kill."""
    rng = random.Random(seed)

    async def havoc(workers: Workers, sandbox_url: str) -> None:
        await asyncio.sleep(1.5)
        for fault in FAULTS:
            await asyncio.to_thread(post, f"{sandbox_url}/_sandbox/faults", fault)
        record(f"faults injected: {len(FAULTS)}")
        for kill in range(kills):
            await asyncio.sleep(rng.uniform(2, 4))
            index = rng.randrange(len(workers.processes))
            workers.kill(index)
            record(f"worker {index + 1} SIGKILLed")
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            workers.restart(index)
            if kill == 1:
                await restart_server()
                record("dev server restarted on its file")

    return havoc


def written(path: Path, world: World) -> Path:
    """The world as a file, for the sandbox process."""
    path.write_text(world.model_dump_json(exclude_unset=True))
    return path
