"""A small world for the tests that talk to the sandbox."""

from typing import Any

from dunning.settings import Settings
from worlds.model import World

WORLD: dict[str, Any] = {
    "customers": [
        {
            "id": "cus_acme",
            "name": "Acme Corp",
            "email": "billing@acme.example",
            "tier": "enterprise",
            "po_required": True,
            "contract_amount": 1200000,
            "annual_contract_value": 14400000,
            "owner": {"id": "101", "name": "Dana Owner", "email": "dana@vendor.example"},
            "ap_contact": {"name": "AP Team", "email": "ap@acme.example"},
        },
        {"id": "cus_solo", "name": "Solo LLC", "email": "owner@solo.example"},
    ],
    "invoices": [
        {
            "id": "in_acme",
            "customer": "cus_acme",
            "amount_due": 1200000,
            "currency": "usd",
            "collection_method": "charge_automatically",
            "payment_method_type": "card",
            "subscription_id": "sub_acme",
            "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
            "attempt_outcomes": ["insufficient_funds", "succeeded"],
        },
        {
            "id": "in_solo",
            "customer": "cus_solo",
            "amount_due": 4900,
            "currency": "usd",
            "collection_method": "charge_automatically",
            "payment_method_type": "card",
            "subscription_id": "sub_solo",
            "failure": {"code": "card_declined", "decline_code": "stolen_card"},
            "attempt_outcomes": ["stolen_card"],
        },
        {
            "id": "in_net",
            "customer": "cus_acme",
            "amount_due": 1200000,
            "currency": "usd",
            "collection_method": "send_invoice",
            "payment_method_type": "invoice",
            "po_number": "PO-1",
        },
    ],
}


def world() -> World:
    """The test world, freshly parsed."""
    return World.model_validate(WORLD)


def settings_for(base_url: str, **overrides: str) -> Settings:
    """Worker settings that point every provider at the sandbox."""
    env = {
        "STRIPE_API_KEY": "sk_test_sandbox",
        "STRIPE_API_BASE": base_url,
        "HUBSPOT_ACCESS_TOKEN": "pat-sandbox",
        "HUBSPOT_API_BASE": base_url,
        "SENDGRID_API_KEY": "sg-sandbox",
        "SENDGRID_API_BASE": base_url,
        **overrides,
    }
    return Settings.from_env(env)
