"""Generated renewals: cards that expire at the published rate, customers who answer the
reminders and the dunning emails, and the invoices of a seed unchanged by them."""

from worlds.generate import generate
from worlds.model import World


def test_renewals_expire_at_the_published_rate_and_leave_the_invoices_as_they_were() -> None:
    plain = generate(50, seed=9)
    world = World.model_validate(generate(50, seed=9, renewals=3000))
    assert generate(50, seed=9, renewals=3000)["invoices"] == plain["invoices"]
    origin = world.calendar_start
    assert origin is not None
    expiring = [s for s in world.subscriptions if s.card_expires_first(origin)]
    # Half yearly (a third of their cards expire within the year), half monthly (1 in 36).
    share = len(expiring) / len(world.subscriptions)
    assert 0.14 < share < 0.22, share
    answering = [
        s for s in expiring if any(r.to == "expiry_reminder" for r in s.behaviour.reactions)
    ]
    assert 0.33 < len(answering) / len(expiring) < 0.47
    dunned = [
        s
        for s in world.subscriptions
        if any(r.to == "payment_failed" for r in s.behaviour.reactions)
    ]
    assert 0.1 < len(dunned) / len(world.subscriptions) < 0.17
    assert {s.customer for s in world.subscriptions} <= {c.id for c in world.customers}
