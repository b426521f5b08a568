"""Stripe: read the invoice, charge it once per attempt, and the invoice-level actions."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import stripe
from temporalio import activity

from activities import stripe_answers as answers
from activities.errors import provider_error
from activities.stripe_answers import PO_FIELD_NAME
from dunning.providers.cards import CardUse
from dunning.providers.facts import SETTLED_STATUSES, InvoiceFacts, InvoiceStatus
from dunning.providers.renewals import RenewalPage, RenewalPo
from dunning.providers.requests import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    ContactUpdate,
    InvoiceAction,
    InvoiceActionKind,
    PoUpdate,
)

RENEWALS_PAGE = 100
RENEWAL_EXPANSIONS = [
    "data.customer",
    "data.default_payment_method",
    "data.test_clock",
    "data.customer.invoice_settings.default_payment_method",
]
"""What a renewal's facts are read from, in the one list call."""
CHARGES_PAGE = 100
MAX_CHARGE_PAGES = 10
"""A card charged more than a thousand times in 30 days is far past every cap already."""
KEY_RENEWAL = timedelta(hours=12)
"""A charge retrying this long moves to a new idempotency key (Stripe keeps one 24 hours)."""


T = TypeVar("T")


class PaymentActivities:
    """Stripe activities, holding one `stripe.StripeClient`."""

    def __init__(self, client: stripe.StripeClient, key_renewal: timedelta = KEY_RENEWAL) -> None:
        self._stripe = client
        self._key_renewal = key_renewal

    def read_invoice(self, invoice_id: str) -> InvoiceFacts:
        """The facts about an invoice that the policy needs. Read within `read_case_facts`,
        not an activity of its own."""
        params: Any = {"expand": ["payment_intent"]}
        invoice = _call(lambda: self._stripe.v1.invoices.retrieve(invoice_id, params))
        return answers.invoice_facts(invoice)

    def take_over_collection(self, invoice_id: str, invoice: InvoiceFacts) -> bool:
        """Turn off Stripe's automatic collection of the invoice (`auto_advance=false`: no
        Smart Retries, no reminders of its own), so that only the case charges and mails
        it; whether it was on. Within `read_case_facts`, not an activity of its own."""
        if invoice.auto_advance is False:
            return False
        params: Any = {"auto_advance": False}
        _call(lambda: self._stripe.v1.invoices.update(invoice_id, params))
        return True

    @activity.defn
    def charge_invoice(self, request: ChargeRequest) -> ChargeResult:
        """Pay the invoice once for this attempt. A decline is a result, not an error.

        The invoice is re-read first so a paid or voided invoice is never charged, and the
        idempotency key makes every retry of this activity the same single charge. A retry
        that finds the invoice paid replays the charge first: if an earlier attempt of this
        activity paid it, Stripe answers with that charge, credited to the case's retry.

        Stripe forgets a key after 24 hours. A charge still retrying after `key_renewal`
        (a Stripe outage of half a day) re-reads the invoice's last charge: made since it
        was first asked for, it is this attempt's answer; otherwise a new key is used.

        A card charge with `room` first lists the card's other charges; if they fill the
        room its network caps leave, nothing is charged (`card_busy`).
        """
        info = activity.info()
        renewal = int((datetime.now(UTC) - info.scheduled_time) / self._key_renewal)
        params: Any = {"expand": ["payment_intent.latest_charge"]}
        invoice = _call(lambda: self._stripe.v1.invoices.retrieve(request.invoice_id, params))
        status = InvoiceStatus(invoice.status or InvoiceStatus.PAID)
        settled = ChargeResult(status=ChargeStatus.settled(status), invoice_status=status)
        if renewal:
            earlier = answers.charged_since(invoice.to_dict(), info.scheduled_time)
            if earlier is not None:
                return earlier
        if status in SETTLED_STATUSES and (info.attempt == 1 or renewal):
            return settled
        uses = self._other_charges(request)
        if request.room is not None and not request.room.fits(uses):
            return ChargeResult(
                status=ChargeStatus.CARD_BUSY, invoice_status=status, card_uses=uses
            )
        key = request.idempotency_key + (f"-renewed-{renewal}" if renewal else "")
        answer = self._pay(request, key, settled)
        return answer.model_copy(update={"card_uses": uses}) if uses else answer

    def _pay(self, request: ChargeRequest, key: str, settled: ChargeResult) -> ChargeResult:
        # The charge, expanded, names the card it was made on: one the customer attached
        # before the case heard of it is credited to that card, not to the retry.
        pay: dict[str, Any] = {"expand": ["payment_intent.latest_charge"]}
        if request.payment_method_id:
            pay["payment_method"] = request.payment_method_id
        options: Any = {"idempotency_key": key}
        try:
            paid = self._stripe.v1.invoices.pay(request.invoice_id, pay, options)  # type: ignore[arg-type]
        except stripe.CardError as err:
            return answers.declined(err.json_body or {})
        except stripe.InvalidRequestError as err:
            if settled.invoice_status in SETTLED_STATUSES:
                return settled  # settled by something else, not by an earlier attempt
            raise _as_temporal(err) from err
        except stripe.StripeError as err:
            raise _as_temporal(err) from err
        after = InvoiceStatus(paid.status or InvoiceStatus.PAID)
        if after is InvoiceStatus.OPEN:  # a bank debit: accepted, the bank answers later
            return ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=after)
        card = answers.charged_card(paid.to_dict())
        return ChargeResult(
            status=ChargeStatus.SUCCEEDED, invoice_status=after, card_fingerprint=card
        )

    def _other_charges(self, request: ChargeRequest) -> list[CardUse]:
        """The card's charges in its retry window made for anything but this invoice: the
        customer's charges, page by page, kept when they are on the card."""
        room = request.room
        if room is None:
            return []
        uses: list[CardUse] = []
        params: Any = {
            "customer": room.customer_id,
            "created": {"gt": int(room.window_start.timestamp())},
            "limit": CHARGES_PAGE,
        }
        for _ in range(MAX_CHARGE_PAGES):
            try:
                page: Any = self._stripe.v1.charges.list(params)
            except (stripe.PermissionError, stripe.InvalidRequestError) as err:
                # A key that may not list charges: the case counts its own attempts alone.
                activity.logger.warning("card's charges not listed: %s", err.user_message)
                return []
            except stripe.StripeError as err:
                raise _as_temporal(err) from err
            data = [charge.to_dict() for charge in page.data]
            listed = [answers.card_use(charge) for charge in data]
            uses.extend(
                use
                for card, use in listed
                if card == room.card_fingerprint and use.invoice_id != request.invoice_id
            )
            if not page.has_more or not data:
                break
            params["starting_after"] = data[-1]["id"]
        return sorted(uses, key=lambda use: use.at)

    @activity.defn
    def read_settlement(self, invoice_id: str) -> ChargeResult:
        """Where the invoice's settling bank debit stands, from Stripe's invoice and its last
        charge: paid by it, returned by the bank (a decline with the return code), still
        processing, or settled by something else."""
        params: Any = {"expand": ["payment_intent.latest_charge"]}
        invoice = _call(lambda: self._stripe.v1.invoices.retrieve(invoice_id, params))
        status = InvoiceStatus(invoice.status or InvoiceStatus.OPEN)
        answer = answers.charge_answer(invoice.to_dict())
        if status is InvoiceStatus.PAID and answer is not None and answer.paid:
            return answer
        if status in SETTLED_STATUSES:
            return ChargeResult(status=ChargeStatus.settled(status), invoice_status=status)
        if answer is None or answer.paid:
            return ChargeResult(status=ChargeStatus.PROCESSING, invoice_status=status)
        return answer

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
    def list_renewals(self, starting_after: str | None) -> RenewalPage:
        """One page of the active subscriptions' coming renewals, in Stripe's order."""
        params: Any = {"status": "active", "limit": RENEWALS_PAGE, "expand": RENEWAL_EXPANSIONS}
        if starting_after:
            params["starting_after"] = starting_after
        page = _call(lambda: self._stripe.v1.subscriptions.list(params))
        now = datetime.now(UTC)
        found = [answers.renewal_facts(s.to_dict(), now) for s in page.data]
        last = page.data[-1].id if page.has_more and page.data else None
        return RenewalPage(renewals=[f for f in found if f is not None], next_page=last)

    @activity.defn
    def store_renewal_po(self, request: RenewalPo) -> None:
        """Store the PO on the subscription: each invoice it issues keeps the subscription's
        metadata as it was then (`subscription_details.metadata`), where a case reads it."""
        params: Any = {"metadata": {"po_number": request.po_number}}
        _call(lambda: self._stripe.v1.subscriptions.update(request.subscription_id, params))

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
