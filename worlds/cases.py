"""The cases a world's invoices open, as `starter.py start --world` starts them."""

from datetime import datetime
from typing import TYPE_CHECKING

from dunning.contract.case import DunningCase, PreDunningContext
from dunning.errors import parse
from dunning.rules.policy import DunningPolicy

if TYPE_CHECKING:  # the world's own validation opens its invoices' cases
    from worlds.model import Invoice, World


def cases_from_world(world: "World", origin: datetime, day_seconds: int) -> list[DunningCase]:
    """One case per invoice of a world on a clock of `day_seconds`; each failed at `origin`
    (the calendar moment of world day 0) plus its `fails_on_day`."""
    return [case_of(invoice, origin, day_seconds) for invoice in world.invoices]


def case_of(
    invoice: "Invoice",
    origin: datetime,
    day_seconds: int,
    policy: DunningPolicy | None = None,
    predunning: PreDunningContext | None = None,
) -> DunningCase:
    """The case an invoice opens when it fails (under `policy`, None: the built-in one; with
    what its renewal's watch asked before, if anything)."""
    failed_at = invoice.failed_at(origin)
    raw = {
        "invoice_id": invoice.id,
        "customer_id": invoice.customer,
        "amount_due": invoice.amount_due,
        "currency": invoice.currency,
        "collection_method": invoice.collection_method,
        "payment_method_type": invoice.payment_method_type,
        "failure": invoice.failure.model_dump() if invoice.failure else None,
        "failed_at": failed_at,
        "due_date": failed_at.date() if invoice.falls_due(origin) else None,
        "po_number": invoice.po_number,
        "subscription_id": invoice.subscription_id,
        "options": {"day_seconds": day_seconds},
        "policy": policy,
        "predunning": predunning,
    }
    return parse(DunningCase, raw, f"invoice {invoice.id}")
