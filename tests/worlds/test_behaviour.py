"""Behavioural world files: every malformed field is refused, naming it."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dunning.contract.enums import Outcome
from dunning.rules.policy import DunningPolicy
from lab.backtest import backtest
from worlds.declines import never_recovers
from worlds.generate import generate
from worlds.model import WorldError, load_world

CUSTOMER = {"id": "cus_a", "name": "A", "email": "billing@a.example"}
SOFT = {"code": "card_declined", "decline_code": "insufficient_funds"}


def invoice(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "in_a",
        "customer": "cus_a",
        "amount_due": 5000,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "failure": SOFT,
        "behaviour": {"funds_return_day": 4},
    }
    return base | fields


def load(tmp_path: Path, *invoices: dict[str, Any], **top: Any) -> Any:
    path = tmp_path / "world.json"
    path.write_text(json.dumps({"customers": [CUSTOMER], "invoices": list(invoices), **top}))
    return load_world(path)


def test_a_behavioural_world_loads(tmp_path: Path) -> None:
    reactions = [{"to": "payment_failed", "after_days": 1.5, "does": "update_payment_method"}]
    world = load(
        tmp_path,
        invoice(fails_on_day=2.5, behaviour={"funds_return_day": None, "reactions": reactions}),
        calendar_start="2026-03-01T00:00:00Z",
    )
    assert world.calendar_start is not None and world.calendar_start.day == 1
    assert world.invoices[0].behaviour is not None
    assert world.invoices[0].behaviour.reactions[0].after_days == 1.5


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"attempt_outcomes": ["succeeded"]}, "behaviour and attempt_outcomes"),
        ({"behaviour": {}}, "funds_return_day is required for a soft decline"),
        ({"behaviour": {"funds_return_day": -1}}, "behaviour.funds_return_day"),
        ({"fails_on_day": -2}, "fails_on_day"),
        ({"fails_on_day": 1e12}, "fails_on_day: Input should be less than or equal to 36500"),
        ({"behaviour": {"funds_return_day": float("inf")}}, "funds_return_day: Input should be"),
        ({"behaviour": {"funds_return_day": float("nan")}}, "funds_return_day: Input should be"),
        (
            {"fails_on_day": 2, "behaviour": {"funds_return_day": 4, "pays_on_day": 1}},
            "behaviour.pays_on_day (1) is before fails_on_day (2)",
        ),
        ({"failure": None}, "failure is required for a charge_automatically invoice"),
        (
            {"collection_method": "send_invoice", "payment_method_type": "invoice"},
            "failure is not for a send_invoice invoice",
        ),
        ({"behaviour": {"funds_return_day": 1, "pays_on_day": "soon"}}, "pays_on_day"),
        ({"po_number": "P" * 101}, "its case would be refused: invoice in_a: po_number"),
        ({"behaviour": {"funds_return_day": 1, "settles_after_days": 3}}, "settles_after_days"),
        ({"behaviour": {"funds_return_day": 1, "mood": "angry"}}, "mood"),
        (
            {"behaviour": {"funds_return_day": 1, "reactions": [{"to": "any", "does": "pay"}]}},
            "reactions.0.after_days",
        ),
        (
            {
                "behaviour": {
                    "funds_return_day": 1,
                    "reactions": [{"to": "any", "after_days": 1, "does": "dance"}],
                }
            },
            "reactions.0.does",
        ),
        (
            {
                "behaviour": {
                    "funds_return_day": 1,
                    "reactions": [{"to": "letter", "after_days": 1, "does": "pay"}],
                }
            },
            "reactions.0.to",
        ),
        (
            {
                "behaviour": {
                    "funds_return_day": 1,
                    "reactions": [{"to": "po_request", "after_days": 1, "does": "provide_po"}],
                }
            },
            "po_number is required",
        ),
        (
            {
                "behaviour": {
                    "funds_return_day": 1,
                    "reactions": [{"to": "any", "after_days": 1, "does": "correct_contact"}],
                }
            },
            "email is required",
        ),
    ],
)
def test_every_malformed_field_is_refused_and_named(
    tmp_path: Path, fields: dict[str, Any], named: str
) -> None:
    with pytest.raises(WorldError) as refused:
        load(tmp_path, invoice(**fields))
    assert named in str(refused.value)
    assert "invoices.0 (in_a)" in str(refused.value), "the invoice is named"


@pytest.mark.parametrize("customer_id", ["acme corp", "o'brien", ""])
def test_a_customer_id_its_cases_cannot_be_found_by_is_refused_and_named(
    tmp_path: Path, customer_id: str
) -> None:
    path = tmp_path / "world.json"
    customer = {**CUSTOMER, "id": customer_id}
    path.write_text(json.dumps({"customers": [customer], "invoices": [invoice()]}))
    with pytest.raises(WorldError) as refused:
        load_world(path)
    assert "customers.0.id" in str(refused.value)


def test_a_customer_id_need_not_be_shaped_as_stripe_s(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    customer = {**CUSTOMER, "id": "acme-1"}
    path.write_text(json.dumps({"customers": [customer], "invoices": [invoice(customer="acme-1")]}))
    assert load_world(path).customers[0].id == "acme-1"


def test_a_calendar_start_without_an_offset_is_read_in_utc(tmp_path: Path) -> None:
    world = load(tmp_path, invoice(), calendar_start="2026-03-01T09:30:00")
    assert world.calendar_start == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    [result] = backtest(world, DunningPolicy()).per_invoice
    assert result.outcome is Outcome.RECOVERED


def test_a_hard_decline_needs_no_funds_return_day(tmp_path: Path) -> None:
    hard = {"code": "card_declined", "decline_code": "stolen_card"}
    world = load(tmp_path, invoice(failure=hard, behaviour={}))
    assert world.invoices[0].behaviour is not None


def test_the_generator_is_seeded_and_keeps_its_statistics(tmp_path: Path) -> None:
    one, again, other = generate(400, seed=1), generate(400, seed=1), generate(400, seed=2)
    assert one == again
    assert one != other
    for world in (one, other):
        path = tmp_path / "generated.json"
        path.write_text(json.dumps(world))
        loaded = load_world(path)
        cards = [i for i in loaded.invoices if i.payment_method_type == "card" and i.failure]
        soft = [i for i in cards if i.failure and not never_recovers(i.failure)]
        assert 0.8 <= len(soft) / len(cards) <= 0.93, "80-90% of failures are soft"
        returns = [i for i in soft if i.behaviour and i.behaviour.funds_return_day is not None]
        assert 0.7 <= len(returns) / len(soft) <= 0.9, "a fifth of soft declines never recover"
        days = [i.fails_on_day for i in loaded.invoices]
        assert min(days) >= 0 and max(days) <= 60
