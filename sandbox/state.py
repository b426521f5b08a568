"""The sandbox's mutable world: what Stripe, HubSpot and SendGrid hold, and every call."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dunning.contract.case import FailureDetails
from worlds.clock import WorldClock
from worlds.declines import card_charge
from worlds.fees import CardCharge
from worlds.model import Customer, Invoice, World


@dataclass
class InvoiceRecord:
    """An invoice as Stripe holds it, and where it is in its scripted outcomes."""

    spec: Invoice
    status: str = "open"
    custom_fields: list[dict[str, str]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    subscription_metadata: dict[str, str] | None = None
    """For a renewal: its subscription's metadata when Stripe issued it, as the invoice's
    `subscription_details` keeps it (a PO the renewal's watch stored is there)."""
    charges: int = 0
    charges_after_update: int = 0
    payment_method_updated: bool = False
    sent: int = 0
    auto_advance: bool = True
    """Stripe collects the invoice on its own (Smart Retries, reminders) until turned off."""
    new_card_fails: bool = False
    """The card the customer attached declines too."""
    paid_by: str | None = None
    """Who paid: `charge`, `customer`, `pays_on_day`, `out_of_band`, or `credit` (credit
    notes alone)."""
    templates_received: list[str] = field(default_factory=list)
    """The email templates the customer received, in order."""
    reacted: set[int] = field(default_factory=set)
    """The behaviour's reactions already set off."""
    card_charges: dict[str, list[CardCharge]] = field(default_factory=dict)
    """Every charge each card saw, by fingerprint, the failure that opened the case first."""
    latest_charge: dict[str, Any] | None = None
    """The last charge made on the invoice, as Stripe's charge object shows it."""
    last_decline: dict[str, Any] | None = None
    """The error of the last declined charge (the payment intent's `last_payment_error`)."""

    paid_in_part: int = 0
    """Money received by partial payments (the customer's own transfers)."""
    credited: int = 0
    """Credit notes issued against the invoice."""
    debit: tuple[float, dict[str, Any] | None] | None = None
    """The bank debit settling: the world day the bank answers, and its return (None: it
    pays)."""

    charge_log: list[dict[str, Any]] = field(default_factory=list)
    """Every charge made on the invoice, as Stripe's charge objects (`GET /v1/charges`)."""

    def charged(self, error: dict[str, Any] | None, *, pending: bool = False) -> None:
        """A charge was made: it paid (`error` None), declined with `error`, or is a bank
        debit still `pending`."""
        card = self.card_fingerprint
        details: dict[str, Any] = (
            {"type": "card", "card": {"fingerprint": card}}
            if card
            else {"type": self.spec.payment_method_type}
        )
        self.latest_charge = {
            "id": f"ch_{self.spec.id.removeprefix('in_')}_{now_millis()}_{len(self.charge_log)}",
            "object": "charge",
            "created": int(time.time()),
            "amount": self.spec.amount_due,
            "currency": self.spec.currency,
            "customer": self.spec.customer,
            "invoice": self.spec.id,
            "payment_method_details": details,
        }
        self.charge_log.append(self.latest_charge)
        self._answered("pending" if pending else None, error)

    def _answered(self, pending: str | None, error: dict[str, Any] | None) -> None:
        """The charge's status and, for a decline, its failure and the network's outcome."""
        charge = self.latest_charge
        assert charge is not None
        charge["status"] = pending or ("failed" if error else "succeeded")
        charge["failure_code"] = (error or {}).get("code")
        charge["failure_message"] = (error or {}).get("message")
        charge["outcome"] = {
            "type": "issuer_declined" if error else "authorized",
            "reason": (error or {}).get("decline_code"),
            "network_decline_code": (error or {}).get("network_decline_code"),
        }
        if error is not None:
            self.last_decline = error

    def card_saw(
        self, at: datetime, decline: FailureDetails | None, *, failing: bool = False
    ) -> None:
        """A charge on the card (or bank account) charged now, or with `failing` the one the
        invoice failed on (the original card), as the network fees count it."""
        card = self.fingerprint(new_card=self.payment_method_updated and not failing)
        charges = self.card_charges.setdefault(card or f"account_{self.spec.customer}", [])
        charges.append(card_charge(at, decline))

    def debited(self, settles_on: float, error: dict[str, Any] | None) -> None:
        """A bank debit was made: its charge is pending until `settles_on`."""
        self.charged(None, pending=True)
        self.debit = (settles_on, error)

    def settle(self) -> bool:
        """The bank answers the debit (its charge settles or fails); whether it paid."""
        assert self.debit is not None
        _, error = self.debit
        self.debit = None
        self._answered(None, error)
        if error is None:
            self.status, self.paid_by = "paid", "charge"
        return error is None

    @property
    def amount_remaining(self) -> int:
        """What is still to pay on an open invoice."""
        if self.status != "open":
            return 0
        return max(self.spec.amount_due - self.paid_in_part - self.credited, 0)

    @property
    def amount_paid(self) -> int:
        """Money received: all but the credit once paid, the partial payments before."""
        if self.status == "paid":
            return max(self.spec.amount_due - self.credited, 0)
        return self.paid_in_part

    @property
    def card_fingerprint(self) -> str | None:
        """The fingerprint of the card the invoice is charged on now (cards only)."""
        return self.fingerprint(new_card=self.payment_method_updated)

    def fingerprint(self, *, new_card: bool) -> str | None:
        """The customer's original card, or the one they attached (cards only)."""
        if self.spec.payment_method_type != "card":
            return None
        return f"fp_{self.spec.customer}" + ("_new" if new_card else "")

    def next_outcome(self) -> str:
        """What the next charge returns (the last entry repeats)."""
        on_new_card = self.charges_after_update if self.payment_method_updated else None
        outcome = self.spec.scripted_answer(self.charges, on_new_card)
        self.charges += 1
        if on_new_card is not None:
            self.charges_after_update += 1
        return outcome


@dataclass
class Fault:
    """An injected failure for matching calls.

    The next `times` calls (or every call for `for_seconds`) wait `delay_seconds`, then
    answer `status`; with status 0 they are processed normally after the wait, and with
    `respond_after_seconds` they are processed first and answered late (a hang after the
    provider accepted the request); with `reset` they are processed, then the connection is
    reset without an answer.
    """

    provider: str
    status: int = 0
    times: int = 1
    path_prefix: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    respond_after_seconds: float = 0.0
    for_seconds: float | None = None
    reset: bool = False
    until: float | None = None

    def __post_init__(self) -> None:
        if self.for_seconds is not None:
            self.until = time.monotonic() + self.for_seconds


class SandboxState:
    """Everything the sandbox knows. One lock guards it: handlers run on many threads."""

    def __init__(self, world: World) -> None:
        self.lock = threading.RLock()
        self.world = world
        self.clock: WorldClock | None = None
        """The world clock, for a behavioural world on a compressed clock."""
        self.mail_listeners: list[Callable[[dict[str, Any]], None]] = []
        """Told of every mail SendGrid accepts (the world's customers read them)."""
        self.debit_listeners: list[Callable[[InvoiceRecord], None]] = []
        """Told of every bank debit made (the world's banks settle them later)."""
        self.announce: Callable[..., None] = lambda *_args, **_kwargs: None
        """Announces a Stripe event to the webhook endpoint (kind, object, created,
        previous attributes)."""
        self.key_life_seconds = 24 * 3600.0
        """How long Stripe remembers an idempotency key."""
        self.webhook_url: str | None = None
        """Where the sandbox announces Stripe events (its one webhook endpoint)."""
        self.search_lag_seconds = 0.0
        """How long a mail or task takes to show in SendGrid's and HubSpot's search."""
        self.created: dict[str, float] = {}
        """When each mail and task was accepted (monotonic), for the search lag."""
        self.load()

    def load(self) -> None:
        """(Re)build the state from the world."""
        with self.lock:
            self.invoices = {
                i.id: InvoiceRecord(spec=i, custom_fields=po_field(i.po_number))
                for i in self.world.invoices
            }
            self.customers: dict[str, dict[str, Any]] = {
                c.id: {"email": c.email, "metadata": {}, "default_payment_method": None}
                for c in self.world.customers
            }
            self.subscriptions: dict[str, dict[str, Any]] = {
                i.subscription_id: {
                    "status": "active",
                    "pause_collection": None,
                    "customer": i.customer,
                }
                for i in self.world.invoices
                if i.subscription_id
            }
            for renewing in self.world.subscriptions:
                self.subscriptions[renewing.id] = {
                    "status": "active",
                    "pause_collection": None,
                    "customer": renewing.customer,
                }
            self.renewals: dict[str, str] = {}
            """How each renewal went: `paid`, `prevented` (an expiring card replaced in
            time) or `failed`."""
            self.companies = {
                _company_id(index): _company_properties(c)
                for index, c in enumerate(self.world.customers)
            }
            self.tasks: dict[str, dict[str, Any]] = {}
            self.mails: list[dict[str, Any]] = []
            self.calls: list[dict[str, Any]] = []
            self.idempotency: dict[str, tuple[str, int, dict[str, Any], float]] = {}
            self.faults: list[Fault] = []

    def record(self, provider: str, method: str, path: str, key: str | None, body: Any) -> None:
        """Log one provider call."""
        with self.lock:
            self.calls.append(
                {
                    "provider": provider,
                    "method": method,
                    "path": path,
                    "idempotency_key": key,
                    "body": body,
                    "at": datetime.now(UTC).isoformat(),
                }
            )

    def take_fault(self, provider: str, path: str) -> Fault | None:
        """The injected fault for this call, if any (each fault is used `times` times)."""
        with self.lock:
            for fault in self.faults:
                if fault.provider != provider or not path.startswith(fault.path_prefix):
                    continue
                if fault.until is not None:
                    if time.monotonic() < fault.until:
                        return fault
                    self.faults.remove(fault)
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def searchable(self, object_id: str) -> bool:
        """Whether a mail or task shows in its provider's search yet."""
        created = self.created.get(object_id, 0.0)
        return time.monotonic() - created >= self.search_lag_seconds

    def collectable(self, record: InvoiceRecord) -> bool:
        """Open, and its subscription neither cancelled nor paused by dunning."""
        subscription = self.subscriptions.get(record.spec.subscription_id or "")
        ended = subscription is not None and (
            subscription["status"] == "canceled" or subscription.get("pause_collection")
        )
        return record.status == "open" and not ended

    def customer(self, customer_id: str) -> Customer | None:
        """The world's customer."""
        return next((c for c in self.world.customers if c.id == customer_id), None)


def po_field(po_number: str | None) -> list[dict[str, str]]:
    """The invoice's custom field that carries its PO, as Stripe shows it."""
    return [{"name": "PO Number", "value": po_number}] if po_number else []


def _company_id(index: int) -> str:
    return str(9001 + index)


def _company_properties(customer: Customer) -> dict[str, str]:
    ap = customer.ap_contact
    props = {
        "name": customer.name,
        "stripe_customer_id": customer.id,
        "dunning_tier": customer.tier.value,
        "hubspot_owner_id": customer.owner.id if customer.owner else "",
        "po_required": str(customer.po_required).lower(),
        "contract_amount": str(customer.contract_amount or ""),
        "annual_contract_value": str(customer.annual_contract_value or ""),
        "ap_contact_name": (ap.name or "") if ap else "",
        "ap_contact_email": ap.email if ap else "",
        "ap_contact_bounced": str(customer.ap_contact_bounced).lower(),
        "invoice_approval_pending": str(customer.approval_pending).lower(),
    }
    return props


def now_millis() -> int:
    """Milliseconds since the epoch, for provider ids and timestamps."""
    return int(time.time() * 1000)
