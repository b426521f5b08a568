"""A world run in-process on a virtual clock, through the production case machine: each
invoice fails on its day, its case runs against the invoice's behaviour, and the report
counts what the providers saw. A 60-day case takes well under a millisecond."""

from datetime import UTC, datetime, timedelta

from dunning.contract.case import REAL_DAY_SECONDS, PreDunningContext
from dunning.machine.state import CaseState
from dunning.rules.policy import DunningPolicy
from dunning.views.status import case_status
from lab.behaviour import InvoiceWorld
from lab.case_line import CaseLine
from lab.report import InvoiceResult, RenewalCounts, WorldReport
from lab.virtual import VirtualCase, VirtualClock
from lab.watch import WatchPlay, play_watch
from worlds.cases import case_of
from worlds.fees import network_fees
from worlds.model import Customer, Invoice, World

HORIZON_DAYS = 400
"""How long a case may run in a backtest before it counts as still open."""


def backtest(world: World, policy: DunningPolicy, start: datetime | None = None) -> WorldReport:
    """Every invoice of the world under `policy`; world day 0 is the world's
    `calendar_start` (else `start`, else now)."""
    return run_world(world, policy, start)[0]


def run_world(
    world: World, policy: DunningPolicy, start: datetime | None = None
) -> tuple[WorldReport, list[CaseState]]:
    """The report, and each case's final state (`case_line` writes it for `cases.jsonl`)."""
    origin = world.calendar_start or start or datetime.now(UTC)
    customers = {customer.id: customer for customer in world.customers}
    results, states = [], []
    replaced: dict[str, datetime] = {}
    for invoice in world.invoices:
        result, state, providers = run_invoice(invoice, customers[invoice.customer], policy, origin)
        results.append(result)
        states.append(state)
        if providers.card_replaced_at is not None:  # the customer's new default card
            first = replaced.get(invoice.customer, providers.card_replaced_at)
            replaced[invoice.customer] = min(first, providers.card_replaced_at)
    failed = prevented = 0
    watches: list[WatchPlay] = []
    prevented_amount = 0
    for subscription in world.subscriptions:
        customer = customers[subscription.customer]
        elsewhere = replaced.get(subscription.customer)
        watch = play_watch(world, subscription, customer, policy, origin, elsewhere)
        watches.append(watch)
        renewal = world.renewal_invoice(subscription, origin)
        if watch.po is not None and watch.po[0] < subscription.renews_on_day:
            renewal = renewal.model_copy(update={"po_number": watch.po[1]})  # stored in time
        if subscription.invoiced:
            paid = watch.paid_on_day
            if paid is not None and paid < subscription.due_day:
                continue  # paid when reminded, before it fell due
            if paid is not None and renewal.behaviour is not None:  # paid late all the same
                behaviour = renewal.behaviour.model_copy(update={"pays_on_day": paid})
                renewal = renewal.model_copy(update={"behaviour": behaviour})
            failed += 1
            result, state, _ = run_invoice(renewal, customer, policy, origin, watch.context())
            results.append(result)
            states.append(state)
            continue
        if not subscription.card_expires_first(origin):
            continue
        new_card = min(filter(None, (elsewhere, watch.replaced_at)), default=None)
        if new_card is not None and new_card < origin + timedelta(days=renewal.fails_on_day):
            prevented += 1  # a card replaced in time pays the renewal: no case
            prevented_amount += renewal.amount_due
            continue
        failed += 1
        result, state, _ = run_invoice(renewal, customer, policy, origin, watch.context())
        results.append(result)
        states.append(state)
    report = WorldReport.of(results)
    if world.subscriptions:
        counts = RenewalCounts.of(
            len(world.subscriptions),
            failed,
            prevented,
            prevented_amount,
            emails=sum(len(w.emails) for w in watches),
        )
        report = report.with_renewals(counts)
    return report, states


def case_line(state: CaseState) -> CaseLine:
    """One case as `cases.jsonl` holds it."""
    return CaseLine.of(case_status(state), state.case.failed_at, state.case.options.day_seconds)


def run_invoice(
    invoice: Invoice,
    customer: Customer,
    policy: DunningPolicy,
    origin: datetime,
    watched: PreDunningContext | None = None,
) -> tuple[InvoiceResult, CaseState, InvoiceWorld]:
    """One invoice's case, start to end, and its world as the case left it (`watched`: what
    the renewal's watch asked before the invoice failed)."""
    case = case_of(invoice, origin, REAL_DAY_SECONDS).model_copy(
        update={"policy": policy, "predunning": watched}
    )
    running = VirtualCase(case, VirtualClock(case.failed_at), HORIZON_DAYS)
    providers = InvoiceWorld(invoice, customer, origin, running)
    state = running.run(providers)
    result = InvoiceResult.of(
        invoice.id,
        state.outcome,
        charges=sum(len(c) for c in providers.charges.values()) - (1 if invoice.failure else 0),
        emails=len(providers.emails),
        amount_due=invoice.amount_due,
        amount_paid=providers.amount_paid,
        network_fees=sum(network_fees(charges) for charges in providers.charges.values()),
    )
    return result, state, providers
