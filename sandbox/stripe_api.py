"""The subset of Stripe's API the worker uses, answered from the sandbox state."""

import re
from datetime import UTC, datetime
from typing import Any

from dunning.contract.case import FailureDetails
from sandbox.state import InvoiceRecord, SandboxState
from sandbox.stripe_money import credit_note, get_charge, list_charges
from sandbox.stripe_objects import (
    Reply,
    decline_error,
    error_reply,
    find_invoice,
    invoice_json,
    missing_reply,
    payment_intent,
    subscription_json,
    subscription_list,
)
from worlds.declines import (
    NEW_CARD_DECLINE,
    SHAPES,
    bank_return,
    never_recovers,
    scripted_decline,
)
from worlds.model import SUCCEEDED


def handle(state: SandboxState, method: str, path: str, params: dict[str, Any]) -> Reply:
    """Answer one Stripe request."""
    if (method, path) == ("GET", "/v1/webhook_endpoints"):
        return 200, _webhook_endpoints(state), {}
    if (method, path) == ("GET", "/v1/subscriptions"):
        with state.lock:
            return 200, subscription_list(state, params or {}), {}
    if (method, path) == ("GET", "/v1/charges"):
        with state.lock:
            return 200, list_charges(state, params or {}), {}
    routes = (
        ("GET", r"/v1/invoices/([^/]+)", _get_invoice),
        ("POST", r"/v1/invoices/([^/]+)", _update_invoice),
        ("POST", r"/v1/invoices/([^/]+)/pay", _pay_invoice),
        ("POST", r"/v1/invoices/([^/]+)/send", _send_invoice),
        ("POST", r"/v1/invoices/([^/]+)/mark_uncollectible", _mark_uncollectible),
        ("POST", r"/v1/invoices/([^/]+)/void", _void_invoice),
        ("GET", r"/v1/customers/([^/]+)", _get_customer),
        ("POST", r"/v1/customers/([^/]+)", _update_customer),
        ("GET", r"/v1/subscriptions/([^/]+)", _get_subscription),
        ("POST", r"/v1/subscriptions/([^/]+)", _update_subscription),
        ("DELETE", r"/v1/subscriptions/([^/]+)", _cancel_subscription),
    )
    if method == "GET" and path.startswith("/v1/charges/"):
        with state.lock:
            return get_charge(state, path.removeprefix("/v1/charges/"))
    if (method, path) == ("POST", "/v1/credit_notes"):
        with state.lock:
            return credit_note(state, params)
    for verb, pattern, handler in routes:
        match = re.fullmatch(pattern, path)
        if verb == method and match:
            with state.lock:
                return handler(state, match.group(1), params)
    return error_reply(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})")


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


def _get_invoice(state: SandboxState, invoice_id: str, params: dict[str, Any]) -> Reply:
    record = find_invoice(state, invoice_id)
    if record is None:
        return missing_reply("invoice", invoice_id)
    return 200, _expanded(record, invoice_json(state, record), params), {}


def _expanded(record: InvoiceRecord, invoice: dict[str, Any], params: dict[str, Any]) -> Any:
    """The invoice with the payment intent, and its last charge, expanded when asked."""
    expand = params.get("expand") or []
    if "payment_intent" in expand or "payment_intent.latest_charge" in expand:
        intent = payment_intent(record)
        if "payment_intent.latest_charge" not in expand and record.latest_charge:
            intent["latest_charge"] = record.latest_charge["id"]
        invoice["payment_intent"] = intent
    return invoice


def _update_invoice(state: SandboxState, invoice_id: str, params: dict[str, Any]) -> Reply:
    record = find_invoice(state, invoice_id)
    if record is None:
        return missing_reply("invoice", invoice_id)
    if "custom_fields" in params:
        record.custom_fields = list(params["custom_fields"] or [])
    record.metadata.update(params.get("metadata") or {})
    if "auto_advance" in params:
        record.auto_advance = str(params["auto_advance"]).lower() == "true"
    return 200, invoice_json(state, record), {}


def _pay_invoice(state: SandboxState, invoice_id: str, params: dict[str, Any]) -> Reply:
    record = find_invoice(state, invoice_id)
    if record is None:
        return missing_reply("invoice", invoice_id)
    status, body, headers = _pay(state, record, params)
    return status, _expanded(record, body, params) if status == 200 else body, headers


def _pay(state: SandboxState, record: InvoiceRecord, params: dict[str, Any]) -> Reply:
    if record.status != "open":
        message = f"Invoice is {record.status}, only open invoices can be paid."
        return error_reply(400, "invalid_request_error", message, "invoice_not_open")
    if record.debit is not None:
        message = "This invoice's payment is processing and cannot be paid again yet."
        return error_reply(400, "invalid_request_error", message, "invoice_payment_processing")
    if str(params.get("paid_out_of_band", "")).lower() == "true":
        record.status, record.paid_by = "paid", "out_of_band"
        return _announced(state, record, (200, invoice_json(state, record), {}))
    if record.spec.behaviour is not None and state.clock is not None:
        return _announced(state, record, _pay_as_it_behaves(state, record))
    customer = state.customers[record.spec.customer]
    if params.get("payment_method") or customer.get("default_payment_method"):
        record.payment_method_updated = True
    outcome = record.next_outcome()
    at = state.clock.calendar() if state.clock else datetime.now(UTC)
    record.card_saw(at, None if outcome == SUCCEEDED else scripted_decline(outcome))
    if outcome == SUCCEEDED:
        record.status, record.paid_by = "paid", "charge"
        record.charged(None)
        return _announced(state, record, (200, invoice_json(state, record), {}))
    error = decline_error(outcome, record.card_fingerprint)
    record.charged(error)
    return _announced(state, record, (402, {"error": error}, {}))


def _announced(state: SandboxState, record: InvoiceRecord, reply: Reply) -> Reply:
    """What a payment's answer means, announced as Stripe announces it: `invoice.paid` for
    an invoice it paid, `invoice.payment_failed` for a declined charge (a debit still
    processing says nothing yet)."""
    if record.status == "paid":
        state.announce("invoice.paid", invoice_json(state, record), datetime.now(UTC))
    elif reply[0] == 402:
        state.announce("invoice.payment_failed", invoice_json(state, record), datetime.now(UTC))
    return reply


def _pay_as_it_behaves(state: SandboxState, record: InvoiceRecord) -> Reply:
    """A behavioural invoice's card answers as it behaves on the world clock."""
    assert state.clock is not None
    failure = _behaviour_decline(state, record)
    settles_after = record.spec.behaviour.settles_after_days if record.spec.behaviour else None
    if settles_after is not None:
        returned = bank_return(failure) if failure else None
        record.card_saw(state.clock.calendar(), returned)
        return _debit(state, record, settles_after, returned)
    record.card_saw(state.clock.calendar(), failure)
    if failure is None:
        record.status, record.paid_by = "paid", "charge"
        record.charged(None)
        return 200, invoice_json(state, record), {}
    error: dict[str, Any] = {"type": "card_error", **failure.model_dump(exclude_none=True)}
    shape = SHAPES.get(failure.decline_code or "")
    error.setdefault("message", shape.message if shape else "Your card was declined.")
    if record.card_fingerprint is not None:
        card = {"fingerprint": record.card_fingerprint}
        error["payment_method"] = {"object": "payment_method", "card": card}
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


def _send_invoice(state: SandboxState, invoice_id: str, _: dict[str, Any]) -> Reply:
    record = find_invoice(state, invoice_id)
    if record is None:
        return missing_reply("invoice", invoice_id)
    if record.spec.collection_method != "send_invoice":
        message = "You can only send invoices with collection_method=send_invoice."
        return error_reply(400, "invalid_request_error", message)
    record.sent += 1
    return 200, invoice_json(state, record), {}


def _mark_uncollectible(state: SandboxState, invoice_id: str, _: dict[str, Any]) -> Reply:
    return _close_open_invoice(state, invoice_id, "uncollectible")


def _void_invoice(state: SandboxState, invoice_id: str, _: dict[str, Any]) -> Reply:
    return _close_open_invoice(state, invoice_id, "void")


def _close_open_invoice(state: SandboxState, invoice_id: str, status: str) -> Reply:
    """Stripe moves only an open invoice to void or uncollectible, and announces it."""
    record = find_invoice(state, invoice_id)
    if record is None:
        return missing_reply("invoice", invoice_id)
    if record.status != "open":
        return error_reply(400, "invalid_request_error", f"Invoice is {record.status}.")
    record.status = status
    body = invoice_json(state, record)
    kind = "invoice.voided" if status == "void" else "invoice.marked_uncollectible"
    state.announce(kind, body, datetime.now(UTC))
    return 200, body, {}


def _get_customer(state: SandboxState, customer_id: str, _: dict[str, Any]) -> Reply:
    customer = state.customers.get(customer_id)
    if customer is None:
        return missing_reply("customer", customer_id)
    return 200, {"id": customer_id, "object": "customer", **customer}, {}


def _get_subscription(state: SandboxState, sub_id: str, params: dict[str, Any]) -> Reply:
    if sub_id not in state.subscriptions:
        return missing_reply("subscription", sub_id)
    return 200, subscription_json(state, sub_id, list(params.get("expand") or [])), {}


def _update_customer(state: SandboxState, customer_id: str, params: dict[str, Any]) -> Reply:
    customer = state.customers.get(customer_id)
    if customer is None:
        return missing_reply("customer", customer_id)
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
        return missing_reply("subscription", sub_id)
    if "pause_collection" in params:
        subscription["pause_collection"] = params["pause_collection"] or None
    metadata = subscription.setdefault("metadata", {})
    metadata.update(params.get("metadata") or {})
    return 200, {"id": sub_id, "object": "subscription", **subscription}, {}


def _cancel_subscription(state: SandboxState, sub_id: str, _: dict[str, Any]) -> Reply:
    subscription = state.subscriptions.get(sub_id)
    if subscription is None:
        return missing_reply("subscription", sub_id)
    subscription["status"] = "canceled"
    return 200, {"id": sub_id, "object": "subscription", **subscription}, {}
