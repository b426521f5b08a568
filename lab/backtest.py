"""A world run in-process on a virtual clock, through the production case machine: each
invoice fails on its day, its case runs against the invoice's behaviour, and the report
counts what the providers saw. A 60-day case takes well under a millisecond."""

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dunning.contract.case import REAL_DAY_SECONDS, PreDunningContext
from dunning.machine.state import CaseState
from dunning.rules.policy import DunningPolicy
from dunning.views.status import case_status
from lab.behaviour import ALONE, CardAttached, CardCharged, Elsewhere, InvoiceWorld
from lab.case_line import CaseLine
from lab.report import InvoiceResult, RenewalCounts, WorldReport
from lab.virtual import VirtualCase, VirtualClock
from lab.watch import WatchPlay, play_watch
from worlds.cases import case_of
from worlds.fees import network_fees
from worlds.model import Customer, Invoice, World
from worlds.renewals import Subscription

HORIZON_DAYS = 400
"""How long a case may run in a backtest before it counts as still open."""


def backtest(world: World, policy: DunningPolicy, start: datetime | None = None) -> WorldReport:
    """Every invoice of the world under `policy`; world day 0 is the world's
    `calendar_start` (else `start`, else now)."""
    return run_world(world, policy, start)[0]


def run_world(
    world: World, policy: DunningPolicy, start: datetime | None = None
) -> tuple[WorldReport, list[CaseState]]:
    """The report, and each case's final state (`case_line` writes it for `cases.jsonl`).

    A customer's invoices share their cards, as in Stripe: a new card attached answering
    one invoice's email is charged for all of them, and the network caps count every
    charge on a card. The world is played again, each invoice and watch told of what the
    customer's others did, until a round does what the one before it did."""
    play = _WorldPlay(world, policy, world.calendar_start or start or datetime.now(UTC))
    seen: Activity = {}
    with _collector_kept_out():
        for _ in range(MAX_ROUNDS):
            played = play.round(seen)
            if played.activity == seen:
                break
            seen = played.activity
    return played.report, played.states


@contextmanager
def _collector_kept_out() -> Iterator[None]:
    """The cyclic garbage collector stays out of a run. A run makes millions of
    short-lived objects and no cycles (each invoice's clock lets go of what was still due),
    so the collector's passes would only walk the world and every case state: a tenth of
    the run. What the run leaves (the case states it returns) goes to the collector's
    oldest generation unwalked (`gc.freeze()`, then `gc.unfreeze()`), where the first pass
    after the run would have walked all of it again: another tenth. The caller's young
    objects go with it; a cycle among them waits for the collector's next full pass."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


MAX_ROUNDS = 20
"""Rounds of a world whose customers' invoices keep changing one another (two suffice
unless several invoices share a card, or answer one another's cards)."""

Activity = dict[str, Elsewhere]
"""What each customer's invoices and watches did that the others see."""


@dataclass(frozen=True)
class InvoiceRun:
    """One invoice's case run to its end, and what the customer's other invoices see of
    it (the world's objects are let go: a large world keeps only these)."""

    result: InvoiceResult
    state: CaseState
    seen: Elsewhere
    """The cards its customer attached answering its emails, and its charges."""


@dataclass(frozen=True)
class _Played:
    """One round of the world."""

    report: WorldReport
    states: list[CaseState]
    activity: Activity


class _WorldPlay:
    """The world's invoices, renewals and watches, played a round at a time."""

    def __init__(self, world: World, policy: DunningPolicy, origin: datetime) -> None:
        self.world, self.policy, self.origin = world, policy, origin
        self.customers = {customer.id: customer for customer in world.customers}
        sources = Counter(i.customer for i in world.invoices)
        sources.update(s.customer for s in world.subscriptions)
        self.shared = {customer for customer, count in sources.items() if count > 1}
        """The customers with more than one invoice or renewal: only theirs see one
        another (a world of one invoice per customer is played once)."""
        self._runs: dict[tuple[str, Elsewhere], InvoiceRun] = {}
        """Each invoice's run by what it saw elsewhere: a round plays again only the
        invoices whose customer's other invoices did something new."""

    def round(self, seen: Activity) -> _Played:
        """Every invoice, renewal and watch, told of what the customer's others did in
        the round before (`seen`)."""

        def elsewhere(customer: str, by: str) -> Elsewhere:
            done = seen.get(customer, ALONE)
            if done is ALONE:
                return ALONE
            return Elsewhere(
                attached=tuple(card for card in done.attached if card.by != by),
                charged=tuple(charge for charge in done.charged if charge.invoice_id != by),
            )

        runs: list[InvoiceRun] = []
        attached: dict[str, list[CardAttached]] = {}
        charged: dict[str, list[CardCharged]] = {}

        def did(customer: str, run: InvoiceRun) -> None:
            runs.append(run)
            if customer in self.shared:
                attached.setdefault(customer, []).extend(run.seen.attached)
                charged.setdefault(customer, []).extend(run.seen.charged)

        for invoice in self.world.invoices:
            key = (invoice.id, elsewhere(invoice.customer, invoice.id))
            if key not in self._runs:
                customer = self.customers[invoice.customer]
                self._runs[key] = run_invoice(
                    invoice, customer, self.policy, self.origin, elsewhere=key[1]
                )
            did(invoice.customer, self._runs[key])
        failed = prevented = prevented_amount = 0
        watches: list[WatchPlay] = []
        for subscription in self.world.subscriptions:
            customer = self.customers[subscription.customer]
            cards = elsewhere(customer.id, subscription.id).attached
            first = min((card.at for card in cards), default=None)
            watch = play_watch(self.world, subscription, customer, self.policy, self.origin, first)
            watches.append(watch)
            if watch.replaced_at is not None:
                card = CardAttached(watch.replaced_at, watch.new_card_fails, subscription.id)
                attached.setdefault(customer.id, []).append(card)
            renewal = self._renewal(subscription, watch)
            if renewal is None:
                continue  # paid when reminded, before it fell due
            if not subscription.invoiced and not subscription.card_expires_first(self.origin):
                continue
            new_card = min(filter(None, (first, watch.replaced_at)), default=None)
            fails_at = self.origin + timedelta(days=renewal.fails_on_day)
            if not subscription.invoiced and new_card is not None and new_card < fails_at:
                prevented += 1  # a card replaced in time pays the renewal: no case
                prevented_amount += renewal.amount_due
                continue
            failed += 1
            run = run_invoice(
                renewal,
                customer,
                self.policy,
                self.origin,
                watch.context(),
                elsewhere(customer.id, renewal.id),
            )
            did(customer.id, run)
        report = WorldReport.of([run.result for run in runs])
        if self.world.subscriptions:
            emails = sum(len(w.emails) for w in watches)
            counts = RenewalCounts.of(
                len(self.world.subscriptions), failed, prevented, prevented_amount, emails
            )
            report = report.with_renewals(counts)
        activity = {
            customer: Elsewhere(
                tuple(sorted(attached.get(customer, ()))), tuple(sorted(charged.get(customer, ())))
            )
            for customer in self.shared
        }
        return _Played(report, [run.state for run in runs], activity)

    def _renewal(self, subscription: Subscription, watch: WatchPlay) -> Invoice | None:
        """The renewal's invoice as its watch left it (None: an invoiced renewal paid
        before it fell due, when reminded)."""
        renewal = self.world.renewal_invoice(subscription, self.origin)
        if watch.po is not None and watch.po[0] < subscription.renews_on_day:
            renewal = renewal.model_copy(update={"po_number": watch.po[1]})  # stored in time
        paid = watch.paid_on_day
        if not subscription.invoiced or paid is None:
            return renewal
        if paid < subscription.due_day:
            return None
        if renewal.behaviour is not None:  # paid late all the same
            behaviour = renewal.behaviour.model_copy(update={"pays_on_day": paid})
            renewal = renewal.model_copy(update={"behaviour": behaviour})
        return renewal


def case_line(state: CaseState) -> CaseLine:
    """One case as `cases.jsonl` holds it."""
    return CaseLine.of(case_status(state), state.case.failed_at, state.case.options.day_seconds)


def run_invoice(
    invoice: Invoice,
    customer: Customer,
    policy: DunningPolicy,
    origin: datetime,
    watched: PreDunningContext | None = None,
    elsewhere: Elsewhere = ALONE,
) -> InvoiceRun:
    """One invoice's case, start to end (`watched`: what the renewal's watch asked before
    the invoice failed; `elsewhere`: what its customer's other invoices and watches did)."""
    case = case_of(invoice, origin, REAL_DAY_SECONDS, policy, watched)
    running = VirtualCase(case, VirtualClock(case.failed_at), HORIZON_DAYS)
    providers = InvoiceWorld(invoice, customer, origin, running, elsewhere=elsewhere)
    state = running.run(providers)
    running.clock.let_go()
    result = InvoiceResult.of(
        invoice.id,
        state.outcome,
        charges=sum(len(c) for c in providers.charges.values()) - (1 if invoice.failure else 0),
        emails=len(providers.emails),
        amount_due=invoice.amount_due,
        currency=invoice.currency,
        amount_paid=providers.amount_paid,
        network_fees=sum(network_fees(charges) for charges in providers.charges.values()),
    )
    return InvoiceRun(result, state, Elsewhere(tuple(providers.attached), tuple(providers.charged)))
