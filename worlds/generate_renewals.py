"""Renewals drawn from published figures (worlds/FIGURES.md): subscriptions renewing during
the world, on cards whose expiry dates fall as card credentials change in the wild."""

import random
from datetime import datetime, timedelta
from typing import Any

CARD_LIFE_MONTHS = 36
"""About a third of card credentials change each year (cards reissued on expiry every three
years, plus loss and fraud): a card on file when a period began expires in any of the next
36 months alike, so a yearly renewal finds it expired one time in three."""
ANNUAL_SHARE = 0.5
"""Subscriptions billed yearly; the others monthly."""
EXPIRY_REMINDER_RESPONSE = 0.4
"""Customers who replace an expiring card when told before the renewal (vendor figures,
speculative)."""
REACTION_DAYS = (0.2, 5.0)
"""How long a customer takes to act on a reminder."""
PO_ANSWERED = 0.8
"""AP teams that send the PO once asked."""


def draw_subscriptions(
    rng: random.Random,
    count: int,
    days: float,
    start: datetime,
    email_response: tuple[tuple[str, float], ...],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`count` subscriptions renewing within `days` of `start`, each with its own customer;
    a renewal that fails anyway is dunned, and its customer answers the dunning emails at
    `email_response`'s rates as any other does."""
    customers, subscriptions = [], []
    for n in range(1, count + 1):
        enterprise = rng.random() < 0.1
        customer_id = f"cus_r{n:05d}"
        customers.append(
            {
                "id": customer_id,
                "name": f"Subscriber {n}",
                "email": f"billing@r{n}.example",
                "tier": "enterprise" if enterprise else "self_serve",
                "po_required": enterprise and rng.random() < 0.5,
                "owner": {"id": str(300 + n % 5), "name": "Owner", "email": "owner@vendor.example"},
                "ap_contact": {"name": "AP", "email": f"ap@r{n}.example"},
            }
        )
        # Renewals run at noon, as failures do, far from midnight's money.
        renews_on_day = rng.randrange(0, max(1, int(days))) + 0.5
        period = 12 if rng.random() < ANNUAL_SHARE else 1
        began = _month_after(start + timedelta(days=renews_on_day), -period)
        expires = _month_after(began, rng.randrange(CARD_LIFE_MONTHS))
        reactions = []
        if rng.random() < EXPIRY_REMINDER_RESPONSE:
            reactions.append(_reaction(rng, "expiry_reminder", "update_payment_method"))
        if customers[-1]["po_required"] and rng.random() < PO_ANSWERED:
            reactions.append(_reaction(rng, "po_request", "provide_po", po_number=f"PO-R{n}"))
        answered = rng.random()
        for template, share in email_response:
            if answered < share:
                reactions.append(_reaction(rng, template, "update_payment_method"))
                break
            answered -= share
        subscriptions.append(
            {
                "id": f"sub_r{n:05d}",
                "customer": customer_id,
                "amount": rng.randrange(50_000, 5_000_000, 100)
                if enterprise
                else rng.randrange(2_000, 20_000, 100),
                "currency": "usd",
                "renews_on_day": renews_on_day,
                "payment_method_type": "card",
                "card": {"exp_month": expires.month, "exp_year": expires.year},
                "behaviour": {"reactions": reactions},
            }
        )
    return customers, subscriptions


def _month_after(moment: datetime, months: int) -> datetime:
    """The first of the month `months` after (or, negative, before) `moment`'s month."""
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)


def _reaction(rng: random.Random, to: str, does: str, **more: str) -> dict[str, Any]:
    low, high = REACTION_DAYS
    return {"to": to, "after_days": round(rng.uniform(low, high), 3), "does": does, **more}
