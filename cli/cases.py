"""Reading cases from files and worlds, with errors that name the field at fault."""

__all__ = ["InputError", "cases_from_world", "load_case"]

from datetime import datetime
from pathlib import Path

from dunning.contract.case import DunningCase
from dunning.errors import InputError, load_json, parse
from worlds.model import World


def load_case(path: Path) -> DunningCase:
    """A `DunningCase` from a JSON file."""
    return load_json(DunningCase, path)


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
        cases.append(parse(DunningCase, raw, f"invoice {invoice.id}"))
    return cases
