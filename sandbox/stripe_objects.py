"""Stripe's objects and errors as the sandbox answers them."""

from typing import Any

from dunning.rules.codes import STRIPE_PAYMENT_METHOD_TYPES
from sandbox.state import InvoiceRecord, SandboxState
from worlds.declines import SHAPES

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
        "subscription_details": (
            {"metadata": record.subscription_metadata}
            if record.subscription_metadata is not None
            else None
        ),
        "attempt_count": record.charges,
        "auto_advance": record.auto_advance,
        "due_date": _due_date(state, record),
    }


def _due_date(state: SandboxState, record: InvoiceRecord) -> int | None:
    """A sent invoice of a behavioural world falls due as the world says."""
    due = record.spec.falls_due(state.clock.calendar(0)) if state.clock else None
    return int(due.timestamp()) if due else None


def payment_intent(record: InvoiceRecord) -> dict[str, Any]:
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


def missing_reply(kind: str, object_id: str) -> Reply:
    return error_reply(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing"
    )


def error_reply(status: int, kind: str, message: str, code: str | None = None) -> Reply:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    return status, {"error": body}, {}


def find_invoice(state: SandboxState, invoice_id: str) -> InvoiceRecord | None:
    return state.invoices.get(invoice_id)


WORLD_CLOCK = "clock_world"
"""The one Stripe test clock the world's customers run on: its frozen time is the world's
calendar now."""
SUBSCRIPTIONS_PAGE = 10


def subscription_list(state: SandboxState, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/subscriptions` (`customer=`, `status=`, `limit=`, `starting_after=`,
    `expand[]=data.…`): the world's renewing subscriptions as Stripe lists them, a page at a
    time."""
    expand = [name.removeprefix("data.") for name in params.get("expand") or []]
    listed = [
        subscription_json(state, renewing.id, expand)
        for renewing in state.world.subscriptions
        if params.get("customer") in (None, renewing.customer)
    ]
    listed = [s for s in listed if params.get("status") in (None, "all", s["status"])]
    after = params.get("starting_after")
    if after:
        ids = [s["id"] for s in listed]
        listed = listed[ids.index(after) + 1 :] if after in ids else []
    limit = int(params.get("limit") or SUBSCRIPTIONS_PAGE)
    page = {"object": "list", "data": listed[:limit], "url": "/v1/subscriptions"}
    return page | {"has_more": len(listed) > limit}


def subscription_json(
    state: SandboxState, subscription_id: str, expand: list[str] | None = None
) -> dict[str, Any]:
    """A subscription as Stripe returns it: for a renewing one, its period end, the card on
    file (the customer's new card once they attached one), its metadata and its test clock;
    `customer` and `test_clock` are objects when expanded."""
    held = state.subscriptions[subscription_id]
    renewing = next((s for s in state.world.subscriptions if s.id == subscription_id), None)
    if renewing is None:
        plain = {"id": subscription_id, "object": "subscription", **held}
        if "customer" in (expand or []) and held.get("customer") in state.customers:
            found = state.customers[held["customer"]]
            plain["customer"] = {"id": held["customer"], "object": "customer", **found}
        return plain
    origin = state.clock.calendar(0) if state.clock else None
    card = renewing.card.model_dump() if renewing.card else None
    if card and state.customers[renewing.customer]["default_payment_method"]:
        card = {"exp_month": 12, "exp_year": card["exp_year"] + 4}  # the replacement
    customer: Any = renewing.customer
    if "customer" in (expand or []):
        customer = {"id": customer, "object": "customer", **state.customers[customer]}
    clock: Any = WORLD_CLOCK if state.clock else None
    if clock and "test_clock" in (expand or []):
        frozen = int(state.clock.calendar().timestamp()) if state.clock else None
        clock = {"id": WORLD_CLOCK, "object": "test_helpers.test_clock", "frozen_time": frozen}
    return {
        "id": renewing.id,
        "object": "subscription",
        "customer": customer,
        "status": held["status"],
        "currency": renewing.currency,
        "current_period_end": int(renewing.renews_at(origin).timestamp()) if origin else None,
        "items": {"data": [{"price": {"unit_amount": renewing.amount}, "quantity": 1}]},
        "default_payment_method": {"type": "card", "card": card} if card else None,
        "metadata": dict(held.get("metadata") or {}),
        "test_clock": clock,
        "collection_method": renewing.collection_method.value,
        "days_until_due": renewing.days_until_due if renewing.invoiced else None,
    }
