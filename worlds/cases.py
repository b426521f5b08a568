"""The cases a world's invoices open, as `starter.py start --world` starts them."""

from datetime import datetime

from dunning.contract.case import DunningCase
from dunning.errors import parse
from worlds.model import World


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
