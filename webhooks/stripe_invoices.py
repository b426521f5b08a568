"""A Stripe invoice as a `DunningCase`: the webhook and `starter.py start --invoice` read
the invoice from Stripe rather than trusting an event's copy of it."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from activities.stripe_answers import po_number_of
from dunning.contract.case import REAL_DAY_SECONDS, DunningCase, FailureDetails
from dunning.contract.enums import CollectionMethod, PaymentMethodType
from dunning.errors import parse
from dunning.rules.codes import STRIPE_PAYMENT_METHOD_TYPES

FAILURE_FIELDS = tuple(FailureDetails.model_fields)


def read_invoice(client: stripe.StripeClient, invoice_id: str) -> dict[str, Any]:
    """The invoice with its payment intent (where Stripe keeps the last payment error)."""
    params: Any = {"expand": ["payment_intent"]}
    invoice: dict[str, Any] = client.v1.invoices.retrieve(invoice_id, params).to_dict()
    return invoice


def read_charge(client: stripe.StripeClient, charge_id: str) -> dict[str, Any]:
    """A charge, with the invoice and customer it was for."""
    charge: dict[str, Any] = client.v1.charges.retrieve(charge_id).to_dict()
    return charge


def case_from_invoice(
    invoice: Mapping[str, Any], failed_at: datetime, day_seconds: int = REAL_DAY_SECONDS
) -> DunningCase:
    """The case for a failed or overdue invoice (an `InputError` names what is missing)."""
    intent = invoice.get("payment_intent")
    intent = intent if isinstance(intent, Mapping) else {}
    error = intent.get("last_payment_error") or None
    collection = invoice.get("collection_method")
    raw = {
        "invoice_id": invoice.get("id"),
        "customer_id": invoice.get("customer"),
        "amount_due": invoice.get("amount_due"),
        "currency": invoice.get("currency"),
        "collection_method": collection,
        "payment_method_type": _method(intent.get("payment_method_types") or [], collection),
        "failure": {k: error.get(k) for k in FAILURE_FIELDS} if error else None,
        "failed_at": failed_at,
        "due_date": _date(invoice.get("due_date")),
        "po_number": po_number_of(invoice),
        "subscription_id": _id_of(invoice.get("subscription")),
        "options": {"day_seconds": day_seconds},
    }
    return parse(DunningCase, raw, f"invoice {invoice.get('id')}")


def _method(types: list[str], collection: Any) -> PaymentMethodType:
    for stripe_type in types:
        if stripe_type in STRIPE_PAYMENT_METHOD_TYPES:
            return STRIPE_PAYMENT_METHOD_TYPES[stripe_type]
    if collection == CollectionMethod.SEND_INVOICE:
        return PaymentMethodType.INVOICE
    return PaymentMethodType.CARD


def _id_of(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return str(value.get("id")) if value.get("id") else None
    return str(value) if value else None


def _date(epoch: Any) -> str | None:
    if not isinstance(epoch, int):
        return None
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()
