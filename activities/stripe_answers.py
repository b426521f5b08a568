"""How Stripe's objects and errors read as the case's facts and results (pure: no I/O)."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from dunning.contract.case import FailureDetails
from dunning.contract.enums import CollectionMethod
from dunning.providers.cards import CardUse
from dunning.providers.facts import InvoiceFacts, InvoiceStatus
from dunning.providers.renewals import RenewalFacts
from dunning.providers.requests import ChargeResult, ChargeStatus

PO_FIELD_NAME = "PO Number"


def declined(json_body: Any) -> ChargeResult:
    """A decline, from Stripe's error body (`{"error": {...}}`)."""
    body: dict[str, Any] = json_body.get("error", {})
    return decline_result(body)


def decline_result(error: dict[str, Any]) -> ChargeResult:
    decline = FailureDetails(
        code=error.get("code"),
        decline_code=error.get("decline_code"),
        advice_code=error.get("advice_code"),
        network_decline_code=error.get("network_decline_code"),
        network_advice_code=error.get("network_advice_code"),
        message=error.get("message"),
    )
    card = (error.get("payment_method") or {}).get("card") or {}
    return ChargeResult(
        status=ChargeStatus.DECLINED,
        decline=decline,
        invoice_status=InvoiceStatus.OPEN,
        card_fingerprint=card.get("fingerprint"),
    )


def charged_since(invoice: dict[str, Any], since: datetime) -> ChargeResult | None:
    """The answer of a charge made on the invoice since `since`, if there was one: what
    an earlier try of this attempt did, under a key Stripe may have forgotten."""
    charge = latest_charge(invoice)
    if charge is None or charge.get("created", 0) < since.timestamp() - 1:
        return None
    return charge_answer(invoice)


def latest_charge(invoice: dict[str, Any]) -> dict[str, Any] | None:
    intent = invoice.get("payment_intent")
    charge = intent.get("latest_charge") if isinstance(intent, dict) else None
    return charge if isinstance(charge, dict) else None


def charged_card(invoice: dict[str, Any]) -> str | None:
    """The fingerprint of the card the invoice's last charge (expanded) was made on."""
    charge = latest_charge(invoice) or {}
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    fingerprint = card.get("fingerprint")
    return fingerprint if isinstance(fingerprint, str) else None


def charge_answer(invoice: dict[str, Any]) -> ChargeResult | None:
    """What the invoice's last charge (expanded) says: it paid, it failed (its decline, or
    the bank's return), or it is still pending (a bank debit settling)."""
    charge = latest_charge(invoice)
    status = charge.get("status") if charge else None
    if status == "succeeded":
        return ChargeResult(
            status=ChargeStatus.SUCCEEDED,
            invoice_status=InvoiceStatus.PAID,
            card_fingerprint=charged_card(invoice),
        )
    if status == "pending":
        return ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=InvoiceStatus.OPEN)
    if status == "failed" and charge is not None:
        intent: dict[str, Any] = invoice["payment_intent"]
        error = intent.get("last_payment_error") or {
            "code": charge.get("failure_code"),
            "message": charge.get("failure_message"),
        }
        return decline_result(error)
    return None


def card_use(charge: dict[str, Any]) -> tuple[str | None, CardUse]:
    """A listed charge: the card it was on, and what it was."""
    details = charge.get("payment_method_details") or {}
    card = (details.get("card") or {}).get("fingerprint")
    invoice = charge.get("invoice")
    invoice_id = invoice.get("id") if isinstance(invoice, dict) else invoice
    use = CardUse(
        at=datetime.fromtimestamp(int(charge.get("created") or 0), UTC),
        succeeded=charge.get("status") == "succeeded",
        invoice_id=invoice_id if isinstance(invoice_id, str) else None,
    )
    return card, use


def tax_of(invoice: dict[str, Any]) -> int:
    """The invoice's tax: `tax`, or the sum of `total_tax_amounts` (newer API versions)."""
    if isinstance(invoice.get("tax"), int):
        return int(invoice["tax"])
    amounts = invoice.get("total_tax_amounts") or []
    return sum(int(t.get("amount") or 0) for t in amounts if isinstance(t, dict))


def po_number_of(invoice: Mapping[str, Any]) -> str | None:
    """The invoice's PO: its PO custom field, else its metadata's `po_number`, else, for a
    renewal, the subscription's when Stripe issued it (`subscription_details.metadata`),
    where the renewal's watch stores the PO it was sent."""
    fields = invoice.get("custom_fields") or []
    po = next((f.get("value") for f in fields if f.get("name") == PO_FIELD_NAME), None)
    details = invoice.get("subscription_details") or {}
    for metadata in (invoice.get("metadata"), details.get("metadata")):
        po = po or (metadata or {}).get("po_number")
    return po if isinstance(po, str) and po else None


def invoice_facts(invoice: stripe.Invoice) -> InvoiceFacts:
    data: dict[str, Any] = invoice.to_dict()
    intent = data.get("payment_intent")
    error = (intent.get("last_payment_error") if isinstance(intent, dict) else None) or {}
    failed_card = (error.get("payment_method") or {}).get("card") or {}
    return InvoiceFacts(
        status=InvoiceStatus(data.get("status") or InvoiceStatus.OPEN),
        number=data.get("number"),
        amount_due=data["amount_due"],
        tax=tax_of(data),
        hosted_invoice_url=data.get("hosted_invoice_url"),
        customer_email=data.get("customer_email"),
        po_number=po_number_of(data),
        card_fingerprint=failed_card.get("fingerprint"),
        auto_advance=data.get("auto_advance"),
        amount_paid=int(data.get("amount_paid") or 0),
        credited=int(data.get("pre_payment_credit_notes_amount") or 0)
        + int(data.get("post_payment_credit_notes_amount") or 0),
    )


def renewal_facts(subscription: dict[str, Any], now: datetime) -> RenewalFacts | None:
    """A subscription's coming renewal, from the subscription with its `customer`,
    `default_payment_method` and `test_clock` expanded; None without a period end or a
    price or customer. On a test clock, Stripe's time is the clock's frozen time, not `now`."""
    items = (subscription.get("items") or {}).get("data") or []
    period_end = subscription.get("current_period_end") or next(
        (item.get("current_period_end") for item in items if item.get("current_period_end")),
        None,
    )
    prices: list[int | None] = [(item.get("price") or {}).get("unit_amount") for item in items]
    if not period_end or not prices or None in prices:
        return None
    quantities = [int(item.get("quantity") or 1) for item in items]
    customer = subscription.get("customer")
    customer = customer if isinstance(customer, dict) else {"id": customer}
    if not customer.get("id"):
        return None
    method = subscription.get("default_payment_method") or (
        customer.get("invoice_settings") or {}
    ).get("default_payment_method")
    card = (method.get("card") if isinstance(method, dict) else None) or {}
    clock = subscription.get("test_clock")
    frozen = clock.get("frozen_time") if isinstance(clock, dict) else None
    return RenewalFacts(
        subscription_id=subscription["id"],
        customer_id=customer["id"],
        amount=sum(int(price or 0) * n for price, n in zip(prices, quantities, strict=True)),
        currency=subscription.get("currency") or "usd",
        renews_at=datetime.fromtimestamp(int(period_end), UTC),
        as_of=datetime.fromtimestamp(int(frozen), UTC) if frozen else now,
        card_exp_month=card.get("exp_month"),
        card_exp_year=card.get("exp_year"),
        email=customer.get("email"),
        po_number=(subscription.get("metadata") or {}).get("po_number") or None,
        collection_method=CollectionMethod(
            subscription.get("collection_method") or CollectionMethod.CHARGE_AUTOMATICALLY
        ),
        days_until_due=subscription.get("days_until_due"),
    )
