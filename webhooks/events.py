"""What each Stripe event means for the cases (pure: no I/O).

Events can arrive twice, late or out of order, so the service re-reads the invoice and
acts only when Stripe's current state confirms what the event says.
"""

import re
from dataclasses import dataclass
from typing import Any

from dunning.contract.messages import Signals

CUSTOMER_ID = re.compile(r"^cus_[A-Za-z0-9]+$")


@dataclass(frozen=True)
class OpenCase:
    """Start the invoice's case, or tell the open one (signal-with-start)."""

    invoice_id: str


@dataclass(frozen=True)
class SignalCase:
    """Signal the invoice's open case, if Stripe's invoice is in one of `confirmed_by`."""

    invoice_id: str
    signal: str
    payload: dict[str, Any]
    confirmed_by: frozenset[str]


@dataclass(frozen=True)
class SignalCustomerCases:
    """Tell every open case of the customer that it has a new payment method."""

    customer_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Ignore:
    """Nothing to do, and why."""

    reason: str


Plan = OpenCase | SignalCase | SignalCustomerCases | Ignore


class MalformedEvent(ValueError):
    """An event without the fields every Stripe event has."""


def plan_event(event: Any) -> Plan:
    """What to do about one event."""
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise MalformedEvent("not a Stripe event: data.object is missing")
    event_id, kind, obj = event.get("id"), event.get("type"), event["data"].get("object")
    if not isinstance(event_id, str) or not isinstance(kind, str) or not isinstance(obj, dict):
        raise MalformedEvent("not a Stripe event: id, type and data.object are required")
    source = {"source_event_id": event_id}
    if kind.startswith("invoice.") and not isinstance(obj.get("id"), str):
        raise MalformedEvent(f"{kind}: data.object.id is missing")
    if kind == "invoice.payment_failed":
        return OpenCase(obj["id"])
    if kind == "invoice.paid":
        payload = {**source, "via": "stripe", "reference": _id(obj.get("charge"))}
        return SignalCase(obj["id"], Signals.INVOICE_PAID, payload, frozenset({"paid"}))
    if kind in ("invoice.voided", "invoice.marked_uncollectible"):
        status = "void" if kind == "invoice.voided" else "uncollectible"
        note = f"{kind} in Stripe"
        payload = {**source, "action": "cancel_dunning", "actor": "stripe", "note": note}
        return SignalCase(obj["id"], Signals.OPERATOR_DECISION, payload, frozenset({status}))
    if kind in ("payment_method.attached", "setup_intent.succeeded"):
        method = obj.get("id") if kind == "payment_method.attached" else obj.get("payment_method")
        return _customer_plan(obj.get("customer"), {**source, "payment_method_id": _id(method)})
    if kind == "customer.updated":
        before = (event["data"].get("previous_attributes") or {}).get("invoice_settings") or {}
        if "default_payment_method" not in before:
            return Ignore("customer.updated without a new default payment method")
        method = (obj.get("invoice_settings") or {}).get("default_payment_method")
        return _customer_plan(obj.get("id"), {**source, "payment_method_id": _id(method)})
    return Ignore(f"{kind} is not handled")


def _customer_plan(customer: Any, payload: dict[str, Any]) -> Plan:
    customer_id = _id(customer)
    if customer_id is None or not CUSTOMER_ID.match(customer_id):
        return Ignore(f"no valid customer id ({customer_id!r})")
    return SignalCustomerCases(customer_id, payload)


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None
