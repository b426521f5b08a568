"""Stripe: read the invoice, charge it once per attempt, and the invoice-level actions."""

from collections.abc import Callable
from typing import Any, TypeVar

import stripe
from temporalio import activity

from activities.errors import provider_error
from dunning.contract.case import FailureDetails
from dunning.providers.facts import SETTLED_STATUSES, InvoiceFacts, InvoiceStatus
from dunning.providers.requests import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    ContactUpdate,
    InvoiceAction,
    InvoiceActionKind,
    PoUpdate,
)

PO_FIELD_NAME = "PO Number"


T = TypeVar("T")


class PaymentActivities:
    """Stripe activities, holding one `stripe.StripeClient`."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self._stripe = client

    def read_invoice(self, invoice_id: str) -> InvoiceFacts:
        """The facts about an invoice that the policy needs. Read within `read_case_facts`,
        not an activity of its own."""
        params: Any = {"expand": ["payment_intent"]}
        invoice = _call(lambda: self._stripe.v1.invoices.retrieve(invoice_id, params))
        return _facts(invoice)

    @activity.defn
    def charge_invoice(self, request: ChargeRequest) -> ChargeResult:
        """Pay the invoice once for this attempt. A decline is a result, not an error.

        The invoice is re-read first so a paid or voided invoice is never charged, and the
        idempotency key makes every retry of this activity the same single charge. A retry
        that finds the invoice paid replays the charge first: if an earlier attempt of this
        activity paid it, Stripe answers with that charge, credited to the case's retry.
        """
        invoice = _call(lambda: self._stripe.v1.invoices.retrieve(request.invoice_id))
        status = InvoiceStatus(invoice.status or InvoiceStatus.PAID)
        settled = ChargeResult(status=ChargeStatus.settled(status), invoice_status=status)
        if status in SETTLED_STATUSES and activity.info().attempt == 1:
            return settled
        params: dict[str, Any] = {}
        if request.payment_method_id:
            params["payment_method"] = request.payment_method_id
        options: Any = {"idempotency_key": request.idempotency_key}
        try:
            paid = self._stripe.v1.invoices.pay(request.invoice_id, params, options)  # type: ignore[arg-type]
        except stripe.CardError as err:
            return _declined(err)
        except stripe.InvalidRequestError as err:
            if status in SETTLED_STATUSES:
                return settled  # settled by something else, not by an earlier attempt
            raise _as_temporal(err) from err
        except stripe.StripeError as err:
            raise _as_temporal(err) from err
        return ChargeResult(
            status=ChargeStatus.SUCCEEDED,
            invoice_status=InvoiceStatus(paid.status or InvoiceStatus.PAID),
        )

    @activity.defn
    def apply_po_number(self, request: PoUpdate) -> None:
        """Put the PO on the invoice and, for a sent invoice, send it again."""
        params: Any = {
            "custom_fields": [{"name": PO_FIELD_NAME, "value": request.po_number}],
            "metadata": {"po_number": request.po_number},
        }
        _call(lambda: self._stripe.v1.invoices.update(request.invoice_id, params))
        if request.resend:
            self.resend_invoice(request.invoice_id)

    @activity.defn
    def resend_invoice(self, invoice_id: str) -> None:
        """Send a `send_invoice` invoice to the customer's billing email again."""
        _call(lambda: self._stripe.v1.invoices.send_invoice(invoice_id))

    @activity.defn
    def update_customer_email(self, request: ContactUpdate) -> None:
        """Make the corrected contact the customer's billing email in Stripe."""
        params: Any = {"email": request.email}
        _call(lambda: self._stripe.v1.customers.update(request.customer_id, params))

    @activity.defn
    def apply_invoice_action(self, request: InvoiceAction) -> None:
        """Apply an end action, or record an invoice as paid outside Stripe."""
        key: Any = {"idempotency_key": f"dunning-{request.invoice_id}-{request.action}"}
        invoices, action = self._stripe.v1.invoices, request.action
        if action is InvoiceActionKind.PAID_OUT_OF_BAND:
            params: Any = {"paid_out_of_band": True}
            _call(lambda: invoices.pay(request.invoice_id, params, key))
        elif action is InvoiceActionKind.MARK_UNCOLLECTIBLE:
            _call(lambda: invoices.mark_uncollectible(request.invoice_id, None, key))
        elif action is InvoiceActionKind.RESTRICT_ACCESS:
            params = {"metadata": {"dunning_access": "restricted"}}
            _call(lambda: self._stripe.v1.customers.update(request.customer_id, params, key))
        else:
            self._subscription_action(request, key)

    def _subscription_action(self, request: InvoiceAction, key: Any) -> None:
        subscription = request.subscription_id
        if subscription is None:
            raise provider_error("stripe", 400, f"{request.action} needs a subscription_id")
        subscriptions = self._stripe.v1.subscriptions
        if request.action is InvoiceActionKind.CANCEL_SUBSCRIPTION:
            _call(lambda: subscriptions.cancel(subscription, None, key))
        else:
            params: Any = {"pause_collection": {"behavior": "void"}}
            _call(lambda: subscriptions.update(subscription, params, key))


def _call(request: Callable[[], T]) -> T:
    try:
        return request()
    except stripe.StripeError as err:
        raise _as_temporal(err) from err


def _as_temporal(err: stripe.StripeError) -> Exception:
    status = err.http_status
    if isinstance(err, stripe.APIConnectionError):
        status = None
    headers = dict(err.headers or {})
    return provider_error("stripe", status, err.user_message or str(err), headers)


def _declined(err: stripe.CardError) -> ChargeResult:
    json_body: Any = err.json_body or {}
    body: dict[str, Any] = json_body.get("error", {})
    decline = FailureDetails(
        code=body.get("code") or err.code,
        decline_code=body.get("decline_code"),
        advice_code=body.get("advice_code"),
        network_decline_code=body.get("network_decline_code"),
        network_advice_code=body.get("network_advice_code"),
        message=body.get("message"),
    )
    card = (body.get("payment_method") or {}).get("card") or {}
    return ChargeResult(
        status=ChargeStatus.DECLINED,
        decline=decline,
        invoice_status=InvoiceStatus.OPEN,
        card_fingerprint=card.get("fingerprint"),
    )


def _facts(invoice: stripe.Invoice) -> InvoiceFacts:
    data: dict[str, Any] = invoice.to_dict()
    fields = data.get("custom_fields") or []
    po = next((f["value"] for f in fields if f.get("name") == PO_FIELD_NAME), None)
    metadata = data.get("metadata") or {}
    intent = data.get("payment_intent")
    error = (intent.get("last_payment_error") if isinstance(intent, dict) else None) or {}
    failed_card = (error.get("payment_method") or {}).get("card") or {}
    return InvoiceFacts(
        status=InvoiceStatus(data.get("status") or InvoiceStatus.OPEN),
        number=data.get("number"),
        amount_due=data["amount_due"],
        hosted_invoice_url=data.get("hosted_invoice_url"),
        customer_email=data.get("customer_email"),
        po_number=po or metadata.get("po_number"),
        card_fingerprint=failed_card.get("fingerprint"),
    )
