"""The sandbox's behavioural world: a world clock, and what customers and cards do on it.

World day = seconds since the sandbox started (or was reset) / `day_seconds`. Each
invoice fails on its day and is announced as Stripe announces it; its card declines
until its funds return; its customer reacts to the emails SendGrid really accepted, and
pays on their own day. Payments and card updates are announced by signed webhooks; a PO
or a corrected contact is queued for the lab to forward, as a person would.
"""

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from dunning.contract.messages import Signals
from sandbox import stripe_objects
from sandbox.announce import Announcer
from sandbox.state import InvoiceRecord, SandboxState, po_field
from worlds.behaviour import CustomerAction, Reaction
from worlds.clock import WorldClock
from worlds.model import Invoice
from worlds.renewals import Subscription

ANSWER_WAIT_SECONDS = 0.01
"""How often a customer's payment looks again whether the product has answered the failure
it follows."""


@dataclass(order=True)
class _Due:
    day: float
    order: int
    run: Callable[[], None] = field(compare=False)


class Behaviours:
    """Plays a behavioural world on its clock, on a thread of its own."""

    def __init__(self, state: SandboxState, clock: WorldClock, announcer: Announcer) -> None:
        self.state, self.clock, self.announce = state, clock, announcer
        self._due: list[_Due] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self.person_actions: list[dict[str, Any]] = []
        """Signals a person would forward (a PO, a corrected contact), for the lab to send."""
        self.failures: dict[str, dict[str, Any]] = {}
        """Each invoice whose failure was announced, and the announcement as the announcer
        records its delivery."""
        self.watch_mail: dict[str, list[str]] = {}
        """The pre-dunning emails each renewal's customer received, in order."""
        self.watch_reacted: dict[str, set[int]] = {}
        """The reactions of each renewal's customer already set off."""

    def start(self) -> None:
        """Schedule every invoice's failure and own payment, and start playing."""
        for record in self.state.invoices.values():
            if record.spec.announced:
                self.at(record.spec.fails_on_day, partial(self._fail, record))
            behaviour = record.spec.behaviour
            if behaviour is not None and behaviour.pays_on_day is not None:
                self.at(behaviour.pays_on_day, partial(self._pay, record, "pays_on_day"))
            for action in record.spec.demo:
                day = record.spec.fails_on_day + action.day
                self.at(day, partial(self._scripted, record, action.signal, action.payload))
        notice = self.state.world.upcoming_notice_days
        for renewing in self.state.world.subscriptions:
            self.at(max(renewing.renews_on_day - notice, 0), partial(self._upcoming, renewing))
            self.at(renewing.renews_on_day, partial(self._renew, renewing))
        threading.Thread(target=self._play, name="world", daemon=True).start()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()

    def at(self, day: float, run: Callable[[], None]) -> None:
        """Run `run` on world day `day`."""
        with self._wake:
            heapq.heappush(self._due, _Due(day, next(self._order), run))
            self._wake.notify()

    def _play(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._due or self._due[0].day > self.clock.day()):
                    wait = 1.0
                    if self._due:
                        wait = (self._due[0].day - self.clock.day()) * self.clock.day_seconds
                    self._wake.wait(timeout=min(wait, 1.0))
                if self._stopped:
                    return
                due = heapq.heappop(self._due)
            due.run()

    # ---- what happens ----------------------------------------------------------------

    def _fail(self, record: InvoiceRecord) -> None:
        """The invoice fails (or falls due) and Stripe says so."""
        with self.state.lock:
            if record.spec.failure is not None:
                record.card_saw(self.clock.calendar(), record.spec.failure, failing=True)
            body = stripe_objects.invoice_json(self.state, record)
        kind = "invoice.overdue" if record.spec.failure is None else "invoice.payment_failed"
        self.failures[record.spec.id] = self.announce(kind, body, self.clock.calendar())

    def _upcoming(self, renewing: Subscription) -> None:
        """Stripe tells of the coming renewal invoice (it has no id yet)."""
        renews_at = int(renewing.renews_at(self.clock.calendar(0)).timestamp())
        upcoming = {
            "object": "invoice",
            "customer": renewing.customer,
            "subscription": renewing.id,
            "amount_due": renewing.amount,
            "currency": renewing.currency,
            "collection_method": renewing.collection_method.value,
            "next_payment_attempt": renews_at,
            "period_end": renews_at,
        }
        self.announce("invoice.upcoming", upcoming, self.clock.calendar())

    def _renew(self, renewing: Subscription) -> None:
        """The renewal invoice is issued and charged: an expired card declines, unless the
        customer replaced it in time; Stripe announces which. An invoiced renewal is sent
        instead, and goes overdue on its due day unless the customer paid it."""
        if renewing.invoiced:
            self._invoice_renewal(renewing)
            return
        with self.state.lock:
            spec = self.state.world.renewal_invoice(renewing, self.clock.calendar(0))
            replaced = self.state.customers[renewing.customer]["default_payment_method"]
            outcome = "failed" if spec.failure else "paid"
            if spec.failure and replaced:
                spec, outcome = spec.model_copy(update={"failure": None}), "prevented"
            record = self._issued(renewing, spec)
            self.state.renewals[renewing.id] = outcome
            if spec.failure is None:
                record.status, record.paid_by = "paid", "charge"
                record.charged(None)
            else:
                record.charged({"type": "card_error", **spec.failure.model_dump(exclude_none=True)})
                record.card_saw(self.clock.calendar(), spec.failure, failing=True)
            body = stripe_objects.invoice_json(self.state, record)
        kind = "invoice.payment_failed" if spec.failure else "invoice.paid"
        event = self.announce(kind, body, self.clock.calendar())
        if spec.failure:
            self.failures[spec.id] = event

    def _issued(self, renewing: Subscription, spec: Invoice) -> InvoiceRecord:
        """The renewal's invoice, issued now: it keeps the subscription's metadata as it is
        now, as Stripe's `subscription_details` does (the caller holds the lock)."""
        metadata = dict(self.state.subscriptions[renewing.id].get("metadata") or {})
        record = InvoiceRecord(
            spec=spec,
            auto_advance=True,
            custom_fields=po_field(spec.po_number),
            subscription_metadata=metadata,
        )
        self.state.invoices[spec.id] = record
        return record

    def _invoice_renewal(self, renewing: Subscription) -> None:
        with self.state.lock:
            spec = self.state.world.renewal_invoice(renewing, self.clock.calendar(0))
            record = self._issued(renewing, spec)
            record.sent = 1
            self.state.renewals[renewing.id] = "invoiced"
        self.at(renewing.due_day, partial(self._overdue, renewing, record))

    def _overdue(self, renewing: Subscription, record: InvoiceRecord) -> None:
        """An invoiced renewal still open on its due day goes overdue, and Stripe says so."""
        with self.state.lock:
            if not self.state.collectable(record):
                return
            self.state.renewals[renewing.id] = "failed"
        self._fail(record)

    def _pay(self, record: InvoiceRecord, why: str) -> None:
        failure = self.failures.get(record.spec.id)
        if failure is not None and self.announce.delivering(failure):
            # In real time the product hears of a failure long before its customer pays; on a
            # compressed clock the webhook takes a noticeable part of a day, and a payment
            # that overtook it would leave the product no case to recover.
            later = self.clock.day() + ANSWER_WAIT_SECONDS / self.clock.day_seconds
            self.at(later, partial(self._pay, record, why))
            return
        with self.state.lock:
            if not self.state.collectable(record):
                return
            record.status = "paid"
            record.paid_by = why
            renewal = record.spec.subscription_id
            if self.state.renewals.get(renewal or "") == "invoiced":
                self.state.renewals[renewal or ""] = "paid"
            body = stripe_objects.invoice_json(self.state, record)
        self.announce("invoice.paid", body, self.clock.calendar())

    def debit_made(self, record: InvoiceRecord) -> None:
        """A bank debit was made: the bank answers on its settlement day."""
        if record.debit is not None:
            self.at(record.debit[0], partial(self._settle, record))

    def _settle(self, record: InvoiceRecord) -> None:
        """The bank pays or returns the debit, and Stripe says which."""
        with self.state.lock:
            if record.debit is None or record.status != "open":
                return
            paid = record.settle()
            body = stripe_objects.invoice_json(self.state, record)
        kind = "invoice.paid" if paid else "invoice.payment_failed"
        self.announce(kind, body, self.clock.calendar())

    def mail_accepted(self, mail: dict[str, Any]) -> None:
        """A mail SendGrid accepted: which case's (its `dedupe_key` names the workflow) and
        which template (its category)."""
        args = dict(mail.get("custom_args") or {})
        for personalization in mail.get("personalizations") or []:
            args.update(personalization.get("custom_args") or {})
        workflow_id = str(args.get("dedupe_key", "")).split("/")[0]
        categories = mail.get("categories") or []
        if workflow_id.startswith("dunning-") and categories:
            self.email_sent(workflow_id.removeprefix("dunning-"), str(categories[0]))
        elif workflow_id.startswith("predunning-") and categories:
            self.watch_email_sent(workflow_id, str(categories[0]))

    def watch_email_sent(self, watch_id: str, template: str) -> None:
        """SendGrid accepted a pre-dunning email of a renewal's watch: its customer may
        react (a new card as Stripe announces it; a PO or a contact as a person sends it to
        the watch)."""
        subscription_id = watch_id.removeprefix("predunning-").rsplit("-", 1)[0]
        renewing = next(
            (s for s in self.state.world.subscriptions if s.id == subscription_id), None
        )
        if renewing is None:
            return
        with self.state.lock:
            received = self.watch_mail.setdefault(subscription_id, [])
            received.append(template)
            reacted = self.watch_reacted.setdefault(subscription_id, set())
            moved = [
                (index, reaction)
                for index, reaction in enumerate(renewing.behaviour.reactions)
                if index not in reacted and reaction.answers(received)
            ]
            reacted.update(index for index, _ in moved)
        today = self.clock.day()
        for _, reaction in moved:
            match reaction.does:
                case CustomerAction.UPDATE_PAYMENT_METHOD:
                    customer, fails = renewing.customer, reaction.new_card_fails
                    act = partial(self._customer_new_card, customer, fails)
                case CustomerAction.PROVIDE_PO:
                    payload = {"po_number": reaction.po_number}
                    act = partial(self._to_watch, watch_id, Signals.PO_NUMBER_PROVIDED, payload)
                case CustomerAction.CORRECT_CONTACT:
                    payload = {"email": reaction.email}
                    signal = Signals.BILLING_CONTACT_CORRECTED
                    act = partial(self._to_watch, watch_id, signal, payload)
                case CustomerAction.PAY:
                    act = partial(self._pay_renewal, renewing)
            self.at(today + reaction.after_days, act)

    def _pay_renewal(self, renewing: Subscription) -> None:
        """The customer pays the renewal's invoice, once it was issued."""
        record = self.state.invoices.get(renewing.renewal_invoice_id)
        if record is not None:
            self._pay(record, "customer")

    def _to_watch(self, watch_id: str, signal: str, payload: dict[str, Any]) -> None:
        with self.state.lock:
            self.person_actions.append(
                {"workflow_id": watch_id, "signal": signal, "payload": payload}
            )

    def email_sent(self, invoice_id: str, template: str) -> None:
        """SendGrid accepted an email of the case of `invoice_id`: its customer may react."""
        with self.state.lock:
            record = self.state.invoices.get(invoice_id)
            if record is None or record.spec.behaviour is None:
                return
            record.templates_received.append(template)
            reactions = record.spec.behaviour.reactions
            moved = [
                (index, reaction)
                for index, reaction in enumerate(reactions)
                if index not in record.reacted and reaction.answers(record.templates_received)
            ]
            record.reacted.update(index for index, _ in moved)
        today = self.clock.day()
        for _, reaction in moved:
            self.at(today + reaction.after_days, partial(self._react, record, reaction))

    def _react(self, record: InvoiceRecord, reaction: Reaction) -> None:
        match reaction.does:
            case CustomerAction.PAY:
                self._pay(record, "customer")
            case CustomerAction.UPDATE_PAYMENT_METHOD:
                self._new_card(record, reaction.new_card_fails)
            case CustomerAction.PROVIDE_PO:
                self._person(record, "po_number_provided", {"po_number": reaction.po_number})
            case CustomerAction.CORRECT_CONTACT:
                self._person(record, "billing_contact_corrected", {"email": reaction.email})

    def _new_card(self, record: InvoiceRecord, fails: bool) -> None:
        with self.state.lock:
            if not self.state.collectable(record):
                return
        self._customer_new_card(record.spec.customer, fails)

    def _customer_new_card(self, customer_id: str, fails: bool) -> None:
        """The customer attaches a new default card: it is charged for every invoice of
        theirs, and for their renewals; Stripe announces it."""
        with self.state.lock:
            for other in self.state.invoices.values():
                if other.spec.customer == customer_id:
                    other.payment_method_updated, other.new_card_fails = True, fails
            customer = self.state.customers[customer_id]
            method = f"pm_{customer_id}_new"
            customer["default_payment_method"] = method
            attached = {
                "id": method,
                "object": "payment_method",
                "type": "card",
                "customer": customer_id,
                "card": {"fingerprint": f"fp_{customer_id}_new"},
            }
        self.announce("payment_method.attached", attached, self.clock.calendar())

    def _scripted(self, record: InvoiceRecord, signal: str, payload: dict[str, Any]) -> None:
        """A scripted action of the world (a demo's operator or customer): a new card is
        attached first; the signal goes out as a person would send it."""
        if signal == Signals.PAYMENT_METHOD_UPDATED:
            with self.state.lock:
                record.payment_method_updated = True
        with self.state.lock:
            self.person_actions.append(
                {"invoice_id": record.spec.id, "signal": signal, "payload": payload}
            )

    def _person(self, record: InvoiceRecord, signal: str, payload: dict[str, Any]) -> None:
        with self.state.lock:
            if self.state.collectable(record):
                self.person_actions.append(
                    {"invoice_id": record.spec.id, "signal": signal, "payload": payload}
                )

    @property
    def announced(self) -> list[str]:
        """The invoices whose failure was announced, in order of id."""
        return sorted(self.failures)

    @property
    def pending(self) -> int:
        """What the world will still do by itself: happenings scheduled on its clock (a
        failure, a payment, a reaction, a settlement, a renewal) and person actions not yet
        taken."""
        with self._wake:
            scheduled = len(self._due)
        with self.state.lock:
            return scheduled + len(self.person_actions)

    def take_person_actions(self) -> list[dict[str, Any]]:
        """The queued person actions, once each."""
        with self.state.lock:
            taken, self.person_actions = self.person_actions, []
        return taken
