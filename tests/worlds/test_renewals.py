"""Renewals in a world: a subscription's card on file, the renewal it fails, and what a
world refuses."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from worlds.model import World
from worlds.renewals import CardOnFile, Subscription

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


def world(*subscriptions: dict[str, Any], invoices: list[dict[str, Any]] | None = None) -> World:
    return World.model_validate(
        {
            "customers": [{"id": "cus_a", "name": "A", "email": "a@a.example"}],
            "invoices": invoices or [],
            "subscriptions": list(subscriptions),
        }
    )


def subscription(sub_id: str, renews_on_day: float, card: dict[str, int] | None) -> dict[str, Any]:
    return {
        "id": sub_id,
        "customer": "cus_a",
        "amount": 9900,
        "currency": "usd",
        "renews_on_day": renews_on_day,
        "payment_method_type": "card",
        "card": card,
    }


def test_a_card_is_good_through_the_last_day_of_its_month() -> None:
    card = CardOnFile(exp_month=1, exp_year=2026)
    assert not card.expired_on(datetime(2026, 1, 31, 23, tzinfo=UTC))
    assert card.expired_on(datetime(2026, 2, 1, tzinfo=UTC))
    assert CardOnFile(exp_month=12, exp_year=2025).expired_on(ORIGIN)


def test_only_renewals_after_the_cards_expiry_fail_and_they_fail_as_stripe_fails_them() -> None:
    renewing = world(
        subscription("sub_ok", 20, {"exp_month": 3, "exp_year": 2026}),
        subscription("sub_expiring", 45, {"exp_month": 1, "exp_year": 2026}),
        subscription("sub_no_card", 45, None),
    )
    failing = [s for s in renewing.subscriptions if s.card_expires_first(ORIGIN)]
    [failed] = [renewing.renewal_invoice(s, ORIGIN) for s in failing]
    assert failed.id == "in_sub_expiring_renewal" and failed.subscription_id == "sub_expiring"
    assert failed.failure is not None and failed.failure.decline_code == "expired_card"
    assert (failed.fails_on_day, failed.amount_due, failed.customer) == (45, 9900, "cus_a")
    paid = renewing.renewal_invoice(renewing.subscriptions[0], ORIGIN)
    assert paid.failure is None


def test_a_world_names_what_is_wrong_with_a_subscription() -> None:
    with pytest.raises(ValidationError, match="unknown customer"):
        world(subscription("sub_x", 1, None) | {"customer": "cus_nobody"})
    with pytest.raises(ValidationError, match="subscription ids must be unique"):
        world(subscription("sub_x", 1, None), subscription("sub_x", 2, None))
    clash = {
        "id": "in_sub_x_renewal",
        "customer": "cus_a",
        "amount_due": 100,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
    }
    with pytest.raises(ValidationError, match="renewal invoice's id"):
        world(subscription("sub_x", 1, None), invoices=[clash])
    with pytest.raises(ValidationError, match="exp_month"):
        world(subscription("sub_x", 1, {"exp_month": 13, "exp_year": 2026}))


def test_a_renewal_on_net_terms_is_invoiced_and_falls_due_later_whatever_the_card() -> None:
    renewing = world(subscription("sub_terms", 20, {"exp_month": 1, "exp_year": 2026}))
    terms = Subscription.model_validate(
        renewing.subscriptions[0].model_dump()
        | {"collection_method": "send_invoice", "days_until_due": 15}
    )
    assert not terms.card_expires_first(ORIGIN) and terms.due_day == 35
    invoice = renewing.renewal_invoice(terms, ORIGIN)
    assert (invoice.collection_method, invoice.payment_method_type) == ("send_invoice", "invoice")
    assert invoice.failure is None and invoice.fails_on_day == 35
