"""Money that moves outside a charge attempt: the charge list, credit notes, partial
payments and disputes, as Stripe records and announces them."""

from datetime import UTC, datetime
from typing import Any

from sandbox.state import InvoiceRecord, SandboxState
from sandbox.stripe_objects import Reply, error_reply, find_invoice, invoice_json, missing_reply


def list_charges(state: SandboxState, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/charges`: newest first, by `customer` and `created[gt|gte]`, paged by
    `limit` and `starting_after` as Stripe pages."""
    customer = params.get("customer")
    created = params.get("created") or {}
    since = int(created["gt"]) + 1 if "gt" in created else int(created.get("gte") or 0)
    charges = [
        charge
        for record in state.invoices.values()
        for charge in record.charge_log
        if (customer is None or charge["customer"] == customer) and charge["created"] >= since
    ]
    charges.sort(key=lambda charge: (charge["created"], charge["id"]), reverse=True)
    after = params.get("starting_after")
    if after:
        ids = [charge["id"] for charge in charges]
        charges = charges[ids.index(after) + 1 :] if after in ids else []
    limit = min(int(params.get("limit") or 10), 100)
    page = charges[:limit]
    return {"object": "list", "data": page, "has_more": len(charges) > limit, "url": "/v1/charges"}


def get_charge(state: SandboxState, charge_id: str) -> Reply:
    for record in state.invoices.values():
        for charge in record.charge_log:
            if charge["id"] == charge_id:
                return 200, charge, {}
    return missing_reply("charge", charge_id)


def dispute(state: SandboxState, record: InvoiceRecord, reason: str) -> dict[str, Any] | None:
    """The customer disputes the charge that paid the invoice (None: no charge paid it);
    Stripe announces `charge.dispute.created`."""
    paid = [charge for charge in record.charge_log if charge["status"] == "succeeded"]
    if not paid:
        return None
    charge = paid[-1]
    disputed = {
        "id": f"dp_{charge['id'].removeprefix('ch_')}",
        "object": "dispute",
        "charge": charge["id"],
        "amount": charge["amount"],
        "currency": charge["currency"],
        "reason": reason,
        "status": "needs_response",
    }
    state.announce("charge.dispute.created", disputed, datetime.now(UTC))
    return disputed


def credit_note(state: SandboxState, params: dict[str, Any]) -> Reply:
    """`POST /v1/credit_notes`: credit part or all of an open invoice; credited in full, the
    invoice is paid (by credit, not money). Announced as Stripe announces it."""
    invoice_id = str(params.get("invoice") or "")
    record = find_invoice(state, invoice_id)
    if record is None:
        return missing_reply("invoice", invoice_id)
    try:
        amount = int(params.get("amount") or 0)
    except ValueError:
        amount = 0
    if record.status != "open" or not 0 < amount <= record.amount_remaining:
        message = f"Credit note amount must be between 1 and {record.amount_remaining}."
        return error_reply(400, "invalid_request_error", message, "parameter_invalid_integer")
    record.credited += amount
    note = {
        "id": f"cn_{invoice_id.removeprefix('in_')}_{record.credited}",
        "object": "credit_note",
        "invoice": invoice_id,
        "customer": record.spec.customer,
        "amount": amount,
        "type": "pre_payment",
    }
    if record.amount_remaining == 0:
        record.status, record.paid_by = "paid", record.paid_by or "credit"
    now = datetime.now(UTC)
    state.announce("credit_note.created", note, now)
    if record.status == "paid":
        state.announce("invoice.paid", invoice_json(state, record), now)
    return 200, note, {}


def pay_in_part(state: SandboxState, record: InvoiceRecord, amount: int) -> str | None:
    """The customer pays part of the invoice themselves (a transfer applied to it); paid in
    full, the invoice is paid. Why it cannot be, or None."""
    if record.status != "open" or not 0 < amount <= record.amount_remaining:
        return f"amount must be between 1 and {record.amount_remaining} on an open invoice"
    before = {"amount_paid": record.amount_paid, "amount_remaining": record.amount_remaining}
    record.paid_in_part += amount
    now = datetime.now(UTC)
    if record.amount_remaining == 0:
        record.status, record.paid_by = "paid", "customer"
        state.announce("invoice.paid", invoice_json(state, record), now)
    else:
        state.announce("invoice.updated", invoice_json(state, record), now, before)
    return None
