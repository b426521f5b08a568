"""What pre-dunning saves, side by side: the same generated worlds with renewals, backtested
with pre-dunning on and off.

`python -m bench.predunning` (also part of `make bench`) writes the section "Pre-dunning"
of BENCHMARKS.md.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from bench.recovery import write
from dunning.contract.enums import EmailTemplate
from dunning.rules.policy import DunningPolicy
from lab.backtest import run_world
from lab.report import WorldReport
from worlds.behaviour import CustomerAction
from worlds.generate import generate
from worlds.model import World

SEEDS = (505, 606)
SECTION = "## Pre-dunning"


@dataclass(frozen=True)
class Side:
    """One side of the comparison, over every world."""

    name: str
    renewal_failures: int
    prevented: int
    saved_amount: int
    recovered_amount: int
    emails: int
    customers: int
    reacting_prevented: int
    reacting: int


def reacting_to_reminders(world: World) -> set[str]:
    """The renewals that would fail on an expired card, whose customers replace it when
    reminded: the failures pre-dunning can prevent."""
    origin = world.calendar_start
    assert origin is not None
    return {
        s.renewal_invoice_id
        for s in world.subscriptions
        if s.card_expires_first(origin)
        and any(
            r.to in (EmailTemplate.EXPIRY_REMINDER, "any")
            and r.does is CustomerAction.UPDATE_PAYMENT_METHOD
            for r in s.behaviour.reactions
        )
    }


def measure(invoices: int, renewals: int) -> list[Side]:
    """Both sides over the seeds' worlds."""
    worlds = [World.model_validate(generate(invoices, seed, renewals=renewals)) for seed in SEEDS]
    sides = []
    for name, policy in (("without", DunningPolicy(predunning=False)), ("with", DunningPolicy())):
        reports: list[tuple[World, WorldReport]] = [(w, run_world(w, policy)[0]) for w in worlds]
        reacting = [(reacting_to_reminders(w), r) for w, r in reports]
        sides.append(
            Side(
                name=f"{name} pre-dunning",
                renewal_failures=sum(r.renewal_failures or 0 for _, r in reports),
                prevented=sum(r.prevented or 0 for _, r in reports),
                saved_amount=sum(r.prevented_amount or 0 for _, r in reports),
                recovered_amount=sum(r.amount_recovered for _, r in reports),
                emails=sum(r.emails + (r.predunning_emails or 0) for _, r in reports),
                customers=sum(len(w.customers) for w in worlds),
                reacting_prevented=sum(
                    len(ids - {i.invoice_id for i in r.per_invoice}) for ids, r in reacting
                ),
                reacting=sum(len(ids) for ids, _ in reacting),
            )
        )
    return sides


def section(sides: list[Side], invoices: int, renewals: int) -> str:
    """The markdown section, with the goal judged."""
    lines = [
        SECTION,
        "",
        f"Generated worlds of {invoices:,} failed invoices and {renewals:,} renewals each "
        f"(seeds {', '.join(map(str, SEEDS))}; cards expire at the published rate, a third a "
        "year), backtested with the default policy, pre-dunning off and on.",
        "",
        "| | renewal failures | prevented | money kept from failing | money recovered by "
        "dunning | money in, both ways | emails per customer |",
        "|---|---|---|---|---|---|---|",
    ]
    for side in sides:
        lines.append(
            f"| {side.name} | {side.renewal_failures:,} | {side.prevented:,} "
            f"| {side.saved_amount / 100:,.2f} | {side.recovered_amount / 100:,.2f} "
            f"| {(side.saved_amount + side.recovered_amount) / 100:,.2f} "
            f"| {side.emails / side.customers:.2f} |"
        )
    on = sides[-1]
    share = on.reacting_prevented / on.reacting if on.reacting else 0.0
    lines += [
        "",
        "| goal | figure | |",
        "|---|---|---|",
        f"| prevents ≥ half of the expiry failures whose customers react to a reminder "
        f"| {on.reacting_prevented} of {on.reacting} ({share:.0%}) "
        f"| {'met' if share >= 0.5 else 'not met'} |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    invoices = int(os.environ.get("BENCH_WORLD_INVOICES", 1000))
    renewals = int(os.environ.get("BENCH_RENEWALS", 2000))
    text = section(measure(invoices, renewals), invoices, renewals)
    write(Path("BENCHMARKS.md"), text, SECTION)
    print(text)


if __name__ == "__main__":
    main()
