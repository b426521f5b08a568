"""Behavioural worlds drawn from published figures (worlds/FIGURES.md names each source).

`python -m sandbox.generate --invoices N --seed S [--days D]` prints one. The same seed
gives the same world; different seeds give different worlds with the same statistics.
"""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from worlds.declines import INSUFFICIENT_FUNDS_RETURN, SHAPES
from worlds.generate_renewals import draw_subscriptions

CALENDAR_START = datetime(2026, 1, 1, tzinfo=UTC)
TIERS = (("self_serve", 0.6), ("mid_market", 0.3), ("enterprise", 0.1))
AMOUNTS = {"self_serve": (2_000, 20_000), "mid_market": (50_000, 500_000)}
AMOUNTS["enterprise"] = (500_000, 5_000_000)
NET_TERMS_SHARE = {"self_serve": 0.0, "mid_market": 0.2, "enterprise": 0.4}
METHODS = (("card", 0.85), ("ach_debit", 0.1), ("sepa_debit", 0.05))
SETTLES_AFTER_DAYS = {"ach_debit": (1, 4), "sepa_debit": (2, 14)}
"""How long a bank debit stays processing: ACH up to 4 business days, SEPA up to 14
(Stripe's documentation)."""
CREDIT_SHARE = 0.65
"""B2B card mix: 65% credit (Recurly)."""
DECLINE_MIX = {
    "credit": (("generic", 51.7), ("hold", 25.5), ("funds", 6.9), ("fraud", 5.2), ("invalid", 1.7)),
    "debit": (("generic", 37.8), ("hold", 10.1), ("funds", 29.0), ("fraud", 6.0), ("invalid", 8.3)),
}
"""Decline reasons by card type, in percent (Recurly, 836 sites)."""
CODES = {
    "generic": ("generic_decline", "do_not_honor"),
    "hold": ("try_again_later", "card_velocity_exceeded"),
    "funds": ("insufficient_funds",),
    "fraud": ("stolen_card", "lost_card", "fraudulent"),
    "invalid": ("incorrect_cvc", "expired_card"),
}
NEVER_RECOVERS = 0.2
"""Soft declines whose card never recovers by itself: the best tools recover 80-90%."""
PAYDAY_SHARE = {"funds": 0.5, "generic": 0.2}
"""Soft declines whose funds come back on the next 1st or 15th (ProfitWell Retain)."""
EMAIL_RESPONSE: tuple[tuple[str, float], ...] = (
    ("payment_failed", 0.13),
    ("reminder", 0.09),
    ("service_impact", 0.06),
    ("final_notice", 0.03),
)
"""Share of customers who act after emails 1-4 (a vendor benchmark, speculative)."""
SELF_PAY = 0.05
"""Card customers who pay by themselves, unprompted."""
NET_TERMS_LATENESS_DAYS = 20.0
"""B2B invoices are paid about 20 days late on average (Atradius 2024)."""
BAD_DEBT = 0.07
"""Net-terms invoices never paid: bad debt is 6-8% (Atradius 2024)."""
PO_MISSING = 0.3
"""Invoices of PO-requiring customers that go out without one (TermSync: 49% of finance
executives cite a missing PO as a cause of late payment)."""
PO_ANSWERED = 0.8
"""AP teams that send the PO once asked."""


def generate(invoices: int, seed: int, days: float = 60, renewals: int = 0) -> dict[str, Any]:
    """A world of `invoices` failures spread over `days` world days, and `renewals`
    subscriptions renewing in that time (drawn after the invoices: the same seed gives the
    same invoices with or without them)."""
    rng = random.Random(seed)
    customers, entries = [], []
    for n in range(1, invoices + 1):
        customer, invoice = _draw(rng, n, days)
        customers.append(customer)
        entries.append(invoice)
    world: dict[str, Any] = {
        "calendar_start": CALENDAR_START.isoformat(),
        "customers": customers,
        "invoices": entries,
    }
    if renewals:
        subscribers, subscriptions = draw_subscriptions(
            rng, renewals, days, CALENDAR_START, EMAIL_RESPONSE
        )
        world["customers"] = [*customers, *subscribers]
        world["subscriptions"] = subscriptions
    return world


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in weighted]
    return rng.choices(names, [weight for _, weight in weighted])[0]


def _draw(rng: random.Random, n: int, days: float) -> tuple[dict[str, Any], dict[str, Any]]:
    tier = _pick(rng, TIERS)
    customer_id = f"cus_g{n:05d}"
    low, high = AMOUNTS[tier]
    amount = rng.randrange(low, high, 100)
    po_required = tier == "enterprise" and rng.random() < 0.5
    customer: dict[str, Any] = {
        "id": customer_id,
        "name": f"Customer {n}",
        "email": f"billing@c{n}.example",
        "tier": tier,
        "po_required": po_required,
        "owner": {"id": str(100 + n % 7), "name": "Account Owner", "email": "owner@vendor.example"},
        "ap_contact": {"name": "AP", "email": f"ap@c{n}.example"},
    }
    # Failures happen at noon (Stripe's renewal runs), and money comes back at other hours,
    # so no card answers within minutes of a retry: a run on a compressed clock, where a
    # webhook's latency is hours of world time, decides as the backtest does.
    fails_on_day = rng.randrange(0, max(1, int(days))) + 0.5
    invoice: dict[str, Any] = {
        "id": f"in_g{n:05d}",
        "customer": customer_id,
        "amount_due": amount,
        "currency": "usd",
        "subscription_id": f"sub_g{n:05d}",
        "fails_on_day": fails_on_day,
    }
    reactions: list[dict[str, Any]] = []
    missing_po = po_required and rng.random() < PO_MISSING
    invoice["po_number"] = None if missing_po else (f"PO-{n}" if po_required else None)
    if missing_po and rng.random() < PO_ANSWERED:
        reactions.append(_reaction(rng, "po_request", "provide_po", po_number=f"PO-{n}"))
    if rng.random() < NET_TERMS_SHARE[tier]:
        invoice |= {"collection_method": "send_invoice", "payment_method_type": "invoice"}
        invoice["failure"] = None
        late = None if rng.random() < BAD_DEBT else rng.expovariate(1 / NET_TERMS_LATENESS_DAYS)
        pays = round(fails_on_day + late, 3) if late is not None else None
        invoice["behaviour"] = {"pays_on_day": pays, "reactions": reactions}
        return customer, invoice
    method = _pick(rng, METHODS)
    invoice |= {"collection_method": "charge_automatically", "payment_method_type": method}
    kind = "credit" if rng.random() < CREDIT_SHARE else "debit"
    reason = _pick(rng, DECLINE_MIX[kind]) if method == "card" else "funds"
    code = rng.choice(CODES[reason])
    shape = SHAPES[code]
    invoice["failure"] = {
        "code": shape.code,
        "decline_code": code,
        "advice_code": shape.advice_code,
        "network_decline_code": shape.network_decline_code,
    }
    behaviour: dict[str, Any] = {"funds_return_day": None}
    if method in SETTLES_AFTER_DAYS:  # a debit came back: the bank's return, then days to settle
        invoice["failure"] = {"code": code, "network_decline_code": INSUFFICIENT_FUNDS_RETURN}
        # Whole days: a return lands at noon as failures do, far from midnight's money.
        fastest, slowest = SETTLES_AFTER_DAYS[method]
        behaviour["settles_after_days"] = float(rng.randint(int(fastest), int(slowest)))
    if reason in ("generic", "hold", "funds") and rng.random() >= NEVER_RECOVERS:
        behaviour["funds_return_day"] = _funds_return(rng, reason, fails_on_day)
    email = _pick(rng, (*EMAIL_RESPONSE, ("none", 1 - sum(p for _, p in EMAIL_RESPONSE))))
    if email != "none":
        does = "update_payment_method" if rng.random() < 0.7 else "pay"
        reactions.append(_reaction(rng, email, does))
    behaviour["reactions"] = reactions
    if rng.random() < SELF_PAY:
        # At midnight, like money that comes back: far from the noon of every step.
        behaviour["pays_on_day"] = float(round(fails_on_day + rng.uniform(3, 20)))
    invoice["behaviour"] = behaviour
    return customer, invoice


def _funds_return(rng: random.Random, reason: str, fails_on_day: float) -> float:
    """When the money is back: the next payday for some, else mostly 2-12 days after the
    decline, holds up to 15 (Recurly, 1,300 sites)."""
    if rng.random() < PAYDAY_SHARE.get(reason, 0.0):
        failed = CALENDAR_START + timedelta(days=fails_on_day)
        payday = _next_payday(failed.date())
        moment = datetime(payday.year, payday.month, payday.day, tzinfo=UTC)
        # Salaries land the evening before, ready for a retry at 00:01 on the payday.
        return round((moment - CALENDAR_START) / timedelta(days=1) - rng.uniform(0.02, 0.125), 3)
    late = reason == "hold" and rng.random() < 0.3
    days = rng.randint(12, 14) if late else rng.randint(2, 11)
    return fails_on_day + days + 0.5  # at midnight


def _next_payday(day: date) -> date:
    """The next 1st or 15th after `day`."""
    if day.day < 15:
        return day.replace(day=15)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _reaction(rng: random.Random, to: str, does: str, **more: str) -> dict[str, Any]:
    return {"to": to, "after_days": round(rng.uniform(0.2, 3), 3), "does": does, **more}
