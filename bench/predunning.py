"""What pre-dunning saves, side by side: the same generated worlds with renewals, backtested
with pre-dunning on and off, and (BENCH_LAB=1) one world run live both ways.

`python -m bench.predunning` (also part of `make bench`) writes the section "Pre-dunning"
of BENCHMARKS.md.
"""

import asyncio
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.recovery import write
from devstack.lab import run_lab
from dunning.contract.enums import EmailTemplate
from dunning.rules.policy import DunningPolicy
from lab.backtest import run_world
from lab.report import WorldReport
from worlds.behaviour import CustomerAction
from worlds.generate import generate
from worlds.model import World

SEEDS = (505, 606)
LIVE_SEED = 707
LIVE_SIZE = (100, 400)
"""Invoices and renewals of the live world: a 60-day run of about two minutes a side."""
SECTION = "## Pre-dunning"
POLICIES = {"without": DunningPolicy(predunning=False), "with": DunningPolicy()}


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


def side(name: str, reports: list[tuple[World, WorldReport]]) -> Side:
    """One side's totals over its worlds' reports."""
    reacting = [(reacting_to_reminders(w), r) for w, r in reports]
    return Side(
        name=f"{name} pre-dunning",
        renewal_failures=sum(r.renewal_failures or 0 for _, r in reports),
        prevented=sum(r.prevented or 0 for _, r in reports),
        saved_amount=sum(r.prevented_amount or 0 for _, r in reports),
        recovered_amount=sum(r.amount_recovered for _, r in reports),
        emails=sum(r.emails + (r.predunning_emails or 0) for _, r in reports),
        customers=sum(len(w.customers) for w, _ in reports),
        reacting_prevented=sum(
            len(ids - {i.invoice_id for i in r.per_invoice}) for ids, r in reacting
        ),
        reacting=sum(len(ids) for ids, _ in reacting),
    )


def measure(invoices: int, renewals: int) -> list[Side]:
    """Both sides over the seeds' worlds, backtested."""
    worlds = [World.model_validate(generate(invoices, seed, renewals=renewals)) for seed in SEEDS]
    return [
        side(name, [(w, run_world(w, policy)[0]) for w in worlds])
        for name, policy in POLICIES.items()
    ]


async def measure_live(invoices: int, renewals: int) -> list[Side]:
    """Both sides of one world, run live by the lab (dev server, sandbox, webhook service,
    worker, the daily scan)."""
    raw = generate(invoices, LIVE_SEED, renewals=renewals)
    world = World.model_validate(raw)
    sides = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "world.json"
        path.write_text(json.dumps(raw))
        for name, policy in POLICIES.items():
            policy_file = Path(folder) / f"{name}.json"
            policy_file.write_text(policy.model_dump_json())
            report = await run_lab(
                world,
                path,
                Path(folder) / name,
                policy=policy_file,
                day_seconds=1,
                timeout_seconds=1200,
            )
            sides.append(side(name, [(world, report)]))
    return sides


def table(sides: list[Side]) -> list[str]:
    """The side-by-side table."""
    lines = [
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
    return lines


def section(
    sides: list[Side], invoices: int, renewals: int, live: tuple[list[Side], int, int] | None
) -> str:
    """The markdown section, with the goal judged on the backtests (and on the live run)."""
    lines = [
        SECTION,
        "",
        f"Generated worlds of {invoices:,} failed invoices and {renewals:,} renewals each "
        f"(seeds {', '.join(map(str, SEEDS))}; cards expire at the published rate, a third a "
        "year), backtested with the default policy, pre-dunning off and on.",
        "",
        *table(sides),
    ]
    if live is not None:
        live_sides, live_invoices, live_renewals = live
        lines += [
            "",
            f"Live (`starter.py lab --day-seconds 1`, the daily scan and the webhook service "
            f"starting the watches): one world of {live_invoices} invoices and "
            f"{live_renewals} renewals (seed {LIVE_SEED}), both ways.",
            "",
            *table(live_sides),
        ]
    goals = [("backtests", sides[-1])]
    if live is not None:
        goals.append(("live", live[0][-1]))
    lines += ["", "| goal | figure | |", "|---|---|---|"]
    for how, on in goals:
        share = on.reacting_prevented / on.reacting if on.reacting else 0.0
        lines.append(
            f"| prevents ≥ half of the expiry failures whose customers react to a reminder "
            f"({how}) | {on.reacting_prevented} of {on.reacting} ({share:.0%}) "
            f"| {'met' if share >= 0.5 else 'not met'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    invoices = int(os.environ.get("BENCH_WORLD_INVOICES", 1000))
    renewals = int(os.environ.get("BENCH_RENEWALS", 2000))
    live = None
    if os.environ.get("BENCH_LAB", "1") == "1":
        live_invoices, live_renewals = LIVE_SIZE
        live = asyncio.run(measure_live(live_invoices, live_renewals)), *LIVE_SIZE
    text = section(measure(invoices, renewals), invoices, renewals, live)
    write(Path("BENCHMARKS.md"), text, SECTION)
    print(text)


if __name__ == "__main__":
    main()
