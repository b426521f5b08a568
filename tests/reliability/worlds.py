"""Small worlds for the reliability tests, written to a file the sandbox process reads."""

import json
from pathlib import Path
from typing import Any

CUSTOMER = {"id": "cus_rel", "name": "Reliable Co", "email": "billing@rel.example"}


def invoice(invoice_id: str, outcomes: list[str]) -> dict[str, Any]:
    """A card soft decline whose charges return `outcomes` in turn."""
    return {
        "id": invoice_id,
        "customer": "cus_rel",
        "amount_due": 4200,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "subscription_id": f"sub_{invoice_id}",
        "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
        "attempt_outcomes": outcomes,
    }


def write_world(path: Path, invoices: list[dict[str, Any]]) -> Path:
    """The world file."""
    path.write_text(json.dumps({"customers": [CUSTOMER], "invoices": invoices}))
    return path
