"""What each Stripe event means for the cases (pure: no I/O).

Events can arrive twice, late or out of order, so the service re-reads the invoice and
acts only when Stripe's current state confirms what the event says.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from dunning.contract.enums import OperatorAction, PaymentChannel
from dunning.contract.messages import (
    STRIPE_ACTOR,
    InvoicePaid,
    OperatorDecision,
    PaymentMethodUpdated,
    Signals,
    StripeEvent,
)
from dunning.errors import describe
from dunning.providers.facts import InvoiceStatus
from workflows.search_attributes import is_queryable

HANDLED_EVENTS = (
    "invoice.payment_failed",
    "invoice.overdue",
    "invoice.paid",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "payment_method.attached",
    "setup_intent.succeeded",
    "customer.updated",
    "invoice.updated",
    "credit_note.created",
    "charge.dispute.created",
    "invoice.upcoming",
)
"""The Stripe events the service acts on: the webhook endpoint must send each."""
CASE_OPENING_EVENTS = frozenset({"invoice.payment_failed", "invoice.overdue"})
"""The events that open an invoice's case: a charge failed, or an invoice sent for payment
fell due unpaid."""


@dataclass(frozen=True)
class OpenCase:
    """Start the invoice's case, or tell the open one (signal-with-start)."""

    invoice_id: str


@dataclass(frozen=True)
class SignalCase:
    """Signal the invoice's open case, if Stripe's invoice is in one of `confirmed_by`."""

    invoice_id: str
    signal: str
    payload: InvoicePaid | OperatorDecision | StripeEvent
    confirmed_by: frozenset[InvoiceStatus]
    if_credited: StripeEvent | None = None
    """Sent instead when Stripe's invoice shows credit notes: the case reads how much of
    it was money and how much credit."""

    def message(self, invoice: dict[str, Any]) -> tuple[str, BaseModel]:
        """The signal and payload to send, given Stripe's invoice as it is now."""
        if self.if_credited is not None and credited(invoice):
            return Signals.STRIPE_EVENT, self.if_credited
        return self.signal, self.payload


def credited(invoice: dict[str, Any]) -> int:
    """Credit notes against an invoice, minor units."""
    return sum(
        int(invoice.get(field) or 0)
        for field in ("pre_payment_credit_notes_amount", "post_payment_credit_notes_amount")
    )


@dataclass(frozen=True)
class SignalCustomerCases:
    """Tell every open case of the customer that it has a new payment method."""

    customer_id: str
    payload: PaymentMethodUpdated


@dataclass(frozen=True)
class RouteDispute:
    """A charge was disputed: if it recovered an invoice, route the dispute (Stripe's
    charge names the invoice)."""

    dispute_id: str
    charge_id: str
    amount: int
    currency: str
    reason: str


@dataclass(frozen=True)
class WatchRenewal:
    """A subscription renews soon: watch it (its card may expire first)."""

    subscription_id: str
    customer_id: str
    amount: int
    currency: str
    renews_at: int
    """Unix time of the renewal (the upcoming invoice's `next_payment_attempt`)."""


@dataclass(frozen=True)
class Ignore:
    """Nothing to do, and why."""

    reason: str


Plan = OpenCase | SignalCase | SignalCustomerCases | RouteDispute | WatchRenewal | Ignore


STILL_COLLECTED = frozenset({InvoiceStatus.OPEN, InvoiceStatus.PAID})
"""An invoice whose payment or credit the case should read (open, or just settled)."""


class MalformedEvent(ValueError):
    """An event without the fields every Stripe event has."""


def created_at(event: dict[str, Any]) -> datetime | None:
    """When Stripe says the event happened (None when it does not say)."""
    created = event.get("created")
    if isinstance(created, bool) or not isinstance(created, int | float):
        return None
    try:
        return datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def plan_event(event: Any) -> Plan:
    """What to do about one event."""
    try:
        return _plan(event)
    except ValidationError as err:
        raise MalformedEvent(describe(err)) from None


def _plan(event: Any) -> Plan:
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise MalformedEvent("not a Stripe event: data.object is missing")
    event_id, kind, obj = event.get("id"), event.get("type"), event["data"].get("object")
    if not isinstance(event_id, str) or not isinstance(kind, str) or not isinstance(obj, dict):
        raise MalformedEvent("not a Stripe event: id, type and data.object are required")
    if kind == "invoice.upcoming":  # an upcoming invoice has no id yet
        return _watch_plan(obj)
    if kind.startswith("invoice.") and not isinstance(obj.get("id"), str):
        raise MalformedEvent(f"{kind}: data.object.id is missing")
    if kind in CASE_OPENING_EVENTS:
        return OpenCase(obj["id"])
    changed = StripeEvent(type=kind, source_event_id=event_id, occurred_at=created_at(event))
    if kind == "invoice.paid":
        paid = InvoicePaid(
            source_event_id=event_id,
            via=PaymentChannel.STRIPE,
            reference=object_id(obj.get("charge")),
        )
        paid_now = frozenset({InvoiceStatus.PAID})
        return SignalCase(obj["id"], Signals.INVOICE_PAID, paid, paid_now, if_credited=changed)
    if kind == "invoice.updated":
        before = event["data"].get("previous_attributes") or {}
        if not {"amount_paid", "amount_remaining"} & set(before):
            return Ignore("invoice.updated without a change to what was paid")
        return SignalCase(obj["id"], Signals.STRIPE_EVENT, changed, STILL_COLLECTED)
    if kind == "credit_note.created":
        invoice_id = object_id(obj.get("invoice"))
        if invoice_id is None:
            return Ignore("credit_note.created without an invoice")
        return SignalCase(invoice_id, Signals.STRIPE_EVENT, changed, STILL_COLLECTED)
    if kind in ("invoice.voided", "invoice.marked_uncollectible"):
        status = InvoiceStatus.VOID if kind == "invoice.voided" else InvoiceStatus.UNCOLLECTIBLE
        stop = OperatorDecision(
            source_event_id=event_id,
            action=OperatorAction.CANCEL_DUNNING,
            actor=STRIPE_ACTOR,
            note=f"{kind} in Stripe",
        )
        return SignalCase(obj["id"], Signals.OPERATOR_DECISION, stop, frozenset({status}))
    if kind in ("payment_method.attached", "setup_intent.succeeded"):
        attached = kind == "payment_method.attached"
        method = obj if attached else obj.get("payment_method")
        return _customer_plan(obj.get("customer"), event_id, method)
    if kind == "customer.updated":
        before = (event["data"].get("previous_attributes") or {}).get("invoice_settings") or {}
        if "default_payment_method" not in before:
            return Ignore("customer.updated without a new default payment method")
        method = (obj.get("invoice_settings") or {}).get("default_payment_method")
        return _customer_plan(obj.get("id"), event_id, method)
    if kind == "charge.dispute.created":
        return _dispute_plan(obj)
    assert kind not in HANDLED_EVENTS, f"{kind} is listed as handled but has no plan"
    return Ignore(f"{kind} is not handled")


def _watch_plan(upcoming: dict[str, Any]) -> Plan:
    subscription, customer = (
        object_id(upcoming.get("subscription")),
        object_id(upcoming.get("customer")),
    )
    renews_at = upcoming.get("next_payment_attempt") or upcoming.get("period_end")
    amount, currency = upcoming.get("amount_due"), upcoming.get("currency")
    if subscription is None or customer is None or not isinstance(renews_at, int):
        return Ignore("invoice.upcoming without a subscription, a customer and a date")
    if not isinstance(amount, int) or not isinstance(currency, str):
        return Ignore(f"invoice.upcoming for {subscription} without an amount and a currency")
    return WatchRenewal(subscription, customer, amount, currency, renews_at)


def _dispute_plan(dispute: dict[str, Any]) -> Plan:
    dispute_id, charge_id = object_id(dispute), object_id(dispute.get("charge"))
    amount, currency = dispute.get("amount"), dispute.get("currency")
    if dispute_id is None or charge_id is None:
        return Ignore("charge.dispute.created without a dispute or charge id")
    if not isinstance(amount, int) or amount <= 0 or not isinstance(currency, str):
        return Ignore(f"dispute {dispute_id} without a positive amount and a currency")
    reason = dispute.get("reason")
    return RouteDispute(
        dispute_id, charge_id, amount, currency, reason if isinstance(reason, str) else "general"
    )


def _customer_plan(customer: Any, event_id: str, method: Any) -> Plan:
    """Tell the customer's cases of a new payment method, naming its card when the event
    carries it (an expanded payment method), so a card attached again counts as itself."""
    customer_id = object_id(customer)
    if customer_id is None or not is_queryable(customer_id):
        return Ignore(f"no customer id its cases can be found by ({customer_id!r})")
    card = (method.get("card") or {}) if isinstance(method, dict) else {}
    fingerprint = card.get("fingerprint")
    update = PaymentMethodUpdated(
        source_event_id=event_id,
        payment_method_id=object_id(method),
        card_fingerprint=fingerprint if isinstance(fingerprint, str) else None,
    )
    return SignalCustomerCases(customer_id, update)


def object_id(value: Any) -> str | None:
    """The id of a Stripe object, given as an id or as the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None
