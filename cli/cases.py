"""Reading cases from files and worlds, with errors that name the field at fault."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dunning.case import DunningCase
from dunning.errors import describe
from sandbox.world import World


class InputError(ValueError):
    """Input that cannot be used; the message says what and where."""


def load_case(path: Path) -> DunningCase:
    """A `DunningCase` from a JSON file."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: {err}") from err
    return parse_case(raw, source=str(path))


def parse_case(raw: Any, source: str = "case") -> DunningCase:
    """A `DunningCase` from decoded JSON."""
    try:
        return DunningCase.model_validate(raw)
    except ValidationError as err:
        raise InputError(f"{source}: {describe(err)}") from err


def cases_from_world(world: World, failed_at: datetime, day_seconds: int) -> list[DunningCase]:
    """One case per invoice of a world, failed at `failed_at`, on a clock of `day_seconds`."""
    cases = []
    for invoice in world.invoices:
        raw = {
            "invoice_id": invoice.id,
            "customer_id": invoice.customer,
            "amount_due": invoice.amount_due,
            "currency": invoice.currency,
            "collection_method": invoice.collection_method,
            "payment_method_type": invoice.payment_method_type,
            "failure": invoice.failure.model_dump() if invoice.failure else None,
            "failed_at": failed_at,
            "po_number": invoice.po_number,
            "subscription_id": invoice.subscription_id,
            "options": {"day_seconds": day_seconds},
        }
        cases.append(parse_case(raw, source=f"invoice {invoice.id}"))
    return cases
