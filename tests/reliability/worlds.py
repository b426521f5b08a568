"""Small worlds for the reliability tests, written to a file the sandbox process reads."""

import json
from pathlib import Path
from typing import Any

CUSTOMER = {"id": "cus_rel", "name": "Reliable Co", "email": "billing@rel.example"}


def invoice(invoice_id: str, outcomes: list[str], customer: str = "cus_rel") -> dict[str, Any]:
    """A card soft decline whose charges return `outcomes` in turn."""
    return {
        "id": invoice_id,
        "customer": customer,
        "amount_due": 4200,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "payment_method_type": "card",
        "subscription_id": f"sub_{invoice_id}",
        "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
        "attempt_outcomes": outcomes,
    }


def write_world(path: Path, invoices: list[dict[str, Any]]) -> Path:
    """The world file, with a customer for each customer id the invoices name."""
    customers = [{**CUSTOMER, "id": c} for c in sorted({i["customer"] for i in invoices})]
    path.write_text(json.dumps({"customers": customers, "invoices": invoices}))
    return path
