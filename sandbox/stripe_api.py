"""The subset of Stripe's API the worker uses, answered from the sandbox state."""

import re
from datetime import UTC, datetime
from typing import Any

from dunning.contract.case import FailureDetails
from dunning.rules.codes import STRIPE_PAYMENT_METHOD_TYPES
from sandbox.state import InvoiceRecord, SandboxState
from worlds.declines import NEW_CARD_DECLINE, SHAPES, bank_return, card_charge, never_recovers

Reply = tuple[int, dict[str, Any], dict[str, str]]
HOSTED_INVOICE_BASE = "https://invoice.stripe.com/i/sandbox"
STRIPE_TYPES = {ours: theirs for theirs, ours in STRIPE_PAYMENT_METHOD_TYPES.items()}


def decline_error(decline_code: str, fingerprint: str | None = None) -> dict[str, Any]:
    """The error body Stripe sends for a declined charge, with the card it declined."""
    shape = SHAPES[decline_code]
    error: dict[str, Any] = {
        "type": "card_error",
        "code": shape.code,
        "decline_code": decline_code,
        "advice_code": shape.advice_code,
        "network_decline_code": shape.network_decline_code,
        "message": shape.message,
    }
    if fingerprint is not None:
        error["payment_method"] = {
            "object": "payment_method",
            "type": "card",
            "card": {"fingerprint": fingerprint},
        }
    return {key: value for key, value in error.items() if value is not None}


def handle(state: SandboxState, method: str, path: str, params: dict[str, Any]) -> Reply:
    """Answer one Stripe request."""
    if (method, path) == ("GET", "/v1/webhook_endpoints"):
        return 200, _webhook_endpoints(state), {}
    if (method, path) == ("GET", "/v1/charges"):
        with state.lock:
            return 200, _list_charges(state, params or {}), {}
    routes = (
        ("GET", r"/v1/invoices/([^/]+)", _get_invoice),
        ("POST", r"/v1/invoices/([^/]+)", _update_invoice),
        ("POST", r"/v1/invoices/([^/]+)/pay", _pay_invoice),
        ("POST", r"/v1/invoices/([^/]+)/send", _send_invoice),
        ("POST", r"/v1/invoices/([^/]+)/mark_uncollectible", _mark_uncollectible),
        ("POST", r"/v1/invoices/([^/]+)/void", _void_invoice),
        ("POST", r"/v1/customers/([^/]+)", _update_customer),
        ("POST", r"/v1/subscriptions/([^/]+)", _update_subscription),
        ("DELETE", r"/v1/subscriptions/([^/]+)", _cancel_subscription),
    )
    if (method, path) == ("POST", "/v1/credit_notes"):
        with state.lock:
            return _credit_note(state, params)
    for verb, pattern, handler in routes:
        match = re.fullmatch(pattern, path)
        if verb == method and match:
            with state.lock:
                return handler(state, match.group(1), params)
    return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})")


def _webhook_endpoints(state: SandboxState) -> dict[str, Any]:
    """The endpoint the sandbox announces to, as Stripe lists it: every event enabled."""
    endpoints = []
    if state.webhook_url:
        endpoints.append(
            {
                "id": "we_sandbox",
                "object": "webhook_endpoint",
                "url": state.webhook_url,
                "enabled_events": ["*"],
                "status": "enabled",
            }
        )
    return {"object": "list", "data": endpoints, "has_more": False, "url": "/v1/webhook_endpoints"}


def _list_charges(state: SandboxState, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/charges`: newest first, by `customer` and `created[gte]`, paged by
    `limit` and `starting_after` as Stripe pages."""
    customer = params.get("customer")
    since = int((params.get("created") or {}).get("gte") or 0)
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


def _invoice(state: SandboxState, invoice_id: str) -> InvoiceRecord | None:
    return state.invoices.get(invoice_id)


def invoice_json(state: SandboxState, record: InvoiceRecord) -> dict[str, Any]:
    """An invoice object as Stripe returns it."""
    spec = record.spec
    return {
        "id": spec.id,
        "object": "invoice",
        "status": record.status,
        "number": spec.number or f"INV-{spec.id.removeprefix('in_').upper()}",
        "amount_due": spec.amount_due,
        "tax": spec.tax or None,
        "amount_paid": record.amount_paid,
        "amount_remaining": record.amount_remaining,
        "pre_payment_credit_notes_amount": record.credited,
        "currency": spec.currency,
        "customer": spec.customer,
        "customer_email": state.customers[spec.customer]["email"],
        "collection_method": spec.collection_method.value,
        "hosted_invoice_url": f"{HOSTED_INVOICE_BASE}/{spec.id}",
        "custom_fields": record.custom_fields or None,
        "metadata": record.metadata,
        "subscription": spec.subscription_id,
        "attempt_count": record.charges,
        "auto_advance": record.auto_advance,
        "due_date": _due_date(state, record),
    }


def _due_date(state: SandboxState, record: InvoiceRecord) -> int | None:
    """A sent invoice of a behavioural world falls due as the world says."""
    due = record.spec.falls_due(state.clock.calendar(0)) if state.clock else None
    return int(due.timestamp()) if due else None


def _missing(kind: str, object_id: str) -> Reply:
    return _error(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing"
    )


def _error(status: int, kind: str, message: str, code: str | None = None) -> Reply:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    return status, {"error": body}, {}


def _get_invoice(state: SandboxState, invoice_id: str, params: dict[str, Any]) -> Reply:
    record = _invoice(state, invoice_id)
    if record is None:
        return _missing("invoice", invoice_id)
    invoice = invoice_json(state, record)
    expand = params.get("expand") or []
    if "payment_intent" in expand or "payment_intent.latest_charge" in expand:
        intent = _payment_intent(record)
        if "payment_intent.latest_charge" not in expand and record.latest_charge:
            intent["latest_charge"] = record.latest_charge["id"]
        invoice["payment_intent"] = intent
    return 200, invoice, {}


def _payment_intent(record: InvoiceRecord) -> dict[str, Any]:
    """The invoice's payment intent: its last charge, and the last decline (at first, the
    failure that opened the case)."""
    failure = record.spec.failure
    error = record.last_decline
    if error is None and failure is not None:
        error = {"type": "card_error", **failure.model_dump(exclude_none=True)}
        fingerprint = record.fingerprint(new_card=False)
        if fingerprint is not None:
            error["payment_method"] = {
                "object": "payment_method",
                "card": {"fingerprint": fingerprint},
            }
    if record.debit is not None:
        status = "processing"
    else:
        status = "succeeded" if record.status == "paid" else "requires_payment_method"
    return {
        "id": f"pi_{record.spec.id.removeprefix('in_')}",
        "object": "payment_intent",
        "status": status,
        "latest_charge": record.latest_charge,
        "last_payment_error": error,
        "payment_method_types": [STRIPE_TYPES[record.spec.payment_method_type]]
        if record.spec.payment_method_type in STRIPE_TYPES
        else [],
    }


def _update_invoice(state: SandboxState, invoice_id: str, params: dict[str, Any]) -> Reply:
    record = _invoice(state, invoice_id)
    if record is None:
        return _missing("invoice", invoice_id)
    if "custom_fields" in params:
        record.custom_fields = list(params["custom_fields"] or [])
    record.metadata.update(params.get("metadata") or {})
    if "auto_advance" in params:
        record.auto_advance = str(params["auto_advance"]).lower() == "true"
    return 200, invoice_json(state, record), {}


def _pay_invoice(state: SandboxState, invoice_id: str, params: dict[str, Any]) -> Reply:
    record = _invoice(state, invoice_id)
    if record is None:
        return _missing("invoice", invoice_id)
    if record.status != "open":
        message = f"Invoice is {record.status}, only open invoices can be paid."
        return _error(400, "invalid_request_error", message, "invoice_not_open")
    if record.debit is not None:
        message = "This invoice's payment is processing and cannot be paid again yet."
        return _error(400, "invalid_request_error", message, "invoice_payment_processing")
    if str(params.get("paid_out_of_band", "")).lower() == "true":
        record.status, record.paid_by = "paid", "out_of_band"
        return 200, invoice_json(state, record), {}
    if record.spec.behaviour is not None and state.clock is not None:
        return _pay_as_it_behaves(state, record)
    customer = state.customers[record.spec.customer]
    if params.get("payment_method") or customer.get("default_payment_method"):
        record.payment_method_updated = True
    outcome = record.next_outcome()
    if outcome == "succeeded":
        record.status, record.paid_by = "paid", "charge"
        record.charged(None)
        return 200, invoice_json(state, record), {}
    error = decline_error(outcome, record.card_fingerprint)
    record.charged(error)
    return 402, {"error": error}, {}


def _pay_as_it_behaves(state: SandboxState, record: InvoiceRecord) -> Reply:
    """A behavioural invoice's card answers as it behaves on the world clock."""
    assert state.clock is not None
    failure = _behaviour_decline(state, record)
    card = record.card_fingerprint or f"account_{record.spec.customer}"
    charges = record.card_charges.setdefault(card, [])
    settles_after = record.spec.behaviour.settles_after_days if record.spec.behaviour else None
    if settles_after is not None:
        returned = bank_return(failure) if failure else None
        charges.append(card_charge(state.clock.calendar(), returned))
        return _debit(state, record, settles_after, returned)
    charges.append(card_charge(state.clock.calendar(), failure))
    if failure is None:
        record.status, record.paid_by = "paid", "charge"
        record.charged(None)
        return 200, invoice_json(state, record), {}
    error: dict[str, Any] = {"type": "card_error", **failure.model_dump(exclude_none=True)}
    shape = SHAPES.get(failure.decline_code or "")
    error.setdefault("message", shape.message if shape else "Your card was declined.")
    if record.card_fingerprint is not None:
        error["payment_method"] = {"object": "payment_method", "card": {"fingerprint": card}}
    record.charged(error)
    return 402, {"error": error}, {}


def _debit(
    state: SandboxState, record: InvoiceRecord, days: float, returned: FailureDetails | None
) -> Reply:
    """A bank debit: accepted and `processing` (the invoice stays open); the bank pays or
    returns it `days` later, as the funds stood now."""
    assert state.clock is not None
    error = None
    if returned is not None:
        error = {"type": "card_error", **returned.model_dump(exclude_none=True)}
    record.debited(state.clock.day() + days, error)
    for listener in list(state.debit_listeners):
        listener(record)
    return 200, invoice_json(state, record), {}


def _behaviour_decline(state: SandboxState, record: InvoiceRecord) -> FailureDetails | None:
    """How the card charged now answers (None: it pays)."""
    assert state.clock is not None and record.spec.behaviour is not None
    if record.payment_method_updated:
        return NEW_CARD_DECLINE if record.new_card_fails else None
    failure = record.spec.failure or NEW_CARD_DECLINE
    funds_back = record.spec.behaviour.funds_return_day
    if never_recovers(failure) or funds_back is None or state.clock.day() < funds_back:
        return failure
    return None


def _credit_note(state: SandboxState, params: dict[str, Any]) -> Reply:
    """`POST /v1/credit_notes`: credit part or all of an open invoice; credited in full, the
    invoice is paid (by credit, not money). Announced as Stripe announces it."""
    invoice_id = str(params.get("invoice") or "")
    record = _invoice(state, invoice_id)
    if record is None:
        return _missing("invoice", invoice_id)
    try:
        amount = int(params.get("amount") or 0)
    except ValueError:
        amount = 0
    if record.status != "open" or not 0 < amount <= record.amount_remaining:
        message = f"Credit note amount must be between 1 and {record.amount_remaining}."
        return _error(400, "invalid_request_error", message, "parameter_invalid_integer")
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


def _send_invoice(state: SandboxState, invoice_id: str, _: dict[str, Any]) -> Reply:
    record = _invoice(state, invoice_id)
    if record is None:
        return _missing("invoice", invoice_id)
    if record.spec.collection_method != "send_invoice":
        message = "You can only send invoices with collection_method=send_invoice."
        return _error(400, "invalid_request_error", message)
    record.sent += 1
    return 200, invoice_json(state, record), {}


def _mark_uncollectible(state: SandboxState, invoice_id: str, _: dict[str, Any]) -> Reply:
    return _close_open_invoice(state, invoice_id, "uncollectible")


def _void_invoice(state: SandboxState, invoice_id: str, _: dict[str, Any]) -> Reply:
    return _close_open_invoice(state, invoice_id, "void")


def _close_open_invoice(state: SandboxState, invoice_id: str, status: str) -> Reply:
    """Stripe moves only an open invoice to void or uncollectible."""
    record = _invoice(state, invoice_id)
    if record is None:
        return _missing("invoice", invoice_id)
    if record.status != "open":
        return _error(400, "invalid_request_error", f"Invoice is {record.status}.")
    record.status = status
    return 200, invoice_json(state, record), {}


def _update_customer(state: SandboxState, customer_id: str, params: dict[str, Any]) -> Reply:
    customer = state.customers.get(customer_id)
    if customer is None:
        return _missing("customer", customer_id)
    if "email" in params:
        customer["email"] = params["email"]
    customer["metadata"].update(params.get("metadata") or {})
    default = (params.get("invoice_settings") or {}).get("default_payment_method")
    if default:
        customer["default_payment_method"] = default
    return 200, {"id": customer_id, "object": "customer", **customer}, {}


def _update_subscription(state: SandboxState, sub_id: str, params: dict[str, Any]) -> Reply:
    subscription = state.subscriptions.get(sub_id)
    if subscription is None:
        return _missing("subscription", sub_id)
    if "pause_collection" in params:
        subscription["pause_collection"] = params["pause_collection"] or None
    return 200, {"id": sub_id, "object": "subscription", **subscription}, {}


def _cancel_subscription(state: SandboxState, sub_id: str, _: dict[str, Any]) -> Reply:
    subscription = state.subscriptions.get(sub_id)
    if subscription is None:
        return _missing("subscription", sub_id)
    subscription["status"] = "canceled"
    return 200, {"id": sub_id, "object": "subscription", **subscription}, {}
