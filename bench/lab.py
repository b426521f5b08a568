"""The lab against the backtest, on generated worlds run live.

`python -m bench.lab` (also part of `make bench`): a 300-invoice, 60-day world under
`lab --day-seconds 1`, timed, a world of the goal's smallest size (100 invoices), the same
under a learned policy, and a world of accounts with several invoices each, each compared
per invoice with the in-process backtest of the same world. Writes the section "Lab" of
BENCHMARKS.md.
"""

import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.recovery import TRAINING_SEED, learned_policy, write
from devstack.lab import run_lab
from dunning.rules.policy import DunningPolicy
from lab.agreement import Agreement, percentile
from lab.report import InvoiceResult, WorldReport
from worlds.generate import generate
from worlds.model import World

SEED = 404
SMALL_SEED = 909
SMALL_INVOICES = 100
"""The goal's smallest world: agreement is measured there too, with less load at once."""
ACCOUNTS_SEED = 5151
ACCOUNTS_INVOICES = 120
INVOICES_PER_ACCOUNT = 3
"""A world of B2B accounts with several invoices each, which share the customer's cards
(a new card pays them all; the network caps count them together)."""
TRAINING_INVOICES = 2000
"""The learned policy's training world (seed `TRAINING_SEED`, as the recovery section's)."""
SECTION = "## Lab"
GOAL_SECONDS = 240


@dataclass(frozen=True)
class Comparison:
    """One world run live and backtested."""

    invoices: int
    seed: int
    seconds: float
    """The lab run's wall time."""
    pairs: list[tuple[InvoiceResult, InvoiceResult]]
    """Each invoice's lab result and backtest result."""
    categories: list[str]
    """The decline codes (and `overdue`) the world covers."""
    per_customer: int = 1
    """Invoices per customer."""
    learned: bool = False
    """Run under a learned policy (else the default)."""

    @property
    def name(self) -> str:
        accounts = f", {self.per_customer} per customer" if self.per_customer > 1 else ""
        policy = ", learned policy" if self.learned else ""
        return f"{self.invoices} invoices, seed {self.seed}{accounts}{policy}"

    @property
    def agreement(self) -> Agreement:
        return Agreement(self.pairs)

    def agreement_row(self) -> str:
        agreement = self.agreement
        met = "met" if agreement.same_outcome == len(self.pairs) else "not met"
        return (
            f"| backtest and lab give the same outcome per invoice ({self.name}) "
            f"| {agreement.same_outcome} of {len(self.pairs)} (outcome, "
            f"resolution and end action: {agreement.same_ending}) | {met} |"
        )

    def drift_line(self) -> str:
        drift = self.agreement.drift
        return (
            f"- {self.name}: of the {len(drift)} that ended the same way, the "
            f"lab's case closed a median {percentile(drift, 0.5):.3f} policy days after the "
            f"backtest's (95th percentile {percentile(drift, 0.95):.3f}, most "
            f"{max(drift, default=0.0):.3f})."
        )


def _accounts(raw: dict[str, Any], per_customer: int) -> dict[str, Any]:
    """The world with every `per_customer` invoices in turn belonging to one customer."""
    invoices = raw["invoices"]
    for index, invoice in enumerate(invoices):
        invoice["customer"] = invoices[index - index % per_customer]["customer"]
    used = {invoice["customer"] for invoice in invoices}
    return raw | {"customers": [c for c in raw["customers"] if c["id"] in used]}


async def compare(
    invoices: int, seed: int, per_customer: int = 1, policy: DunningPolicy | None = None
) -> Comparison:
    """Run a generated world live and in-process, under `policy` (default: the default)."""
    raw = _accounts(generate(invoices, seed, days=60), per_customer)
    world = World.model_validate(raw)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "world.json"
        path.write_text(json.dumps(raw))
        policy_path = None
        if policy is not None:
            policy_path = Path(folder) / "policy.json"
            policy_path.write_text(policy.model_dump_json())
        started = time.perf_counter()
        out = Path(folder) / "out"
        live = await run_lab(
            world, path, out, policy=policy_path, day_seconds=1, timeout_seconds=900
        )
        seconds = time.perf_counter() - started
        # The lab backtests its world on the run's calendar (the world's own, here).
        offline = WorldReport.model_validate_json((out / "backtest.json").read_text())
    categories = sorted(
        {
            (i.failure.decline_code or i.failure.code if i.failure else "overdue") or ""
            for i in world.invoices
        }
    )
    pairs = Agreement.of(live, offline).pairs
    return Comparison(invoices, seed, seconds, pairs, categories, per_customer, policy is not None)


async def measure(invoices: int) -> str:
    """Run the worlds both ways and describe how they compare."""
    large = await compare(invoices, SEED)
    small = await compare(SMALL_INVOICES, SMALL_SEED)
    accounts = await compare(ACCOUNTS_INVOICES, ACCOUNTS_SEED, INVOICES_PER_ACCOUNT)
    learned = await compare(SMALL_INVOICES, SMALL_SEED, policy=learned_policy(TRAINING_INVOICES))
    lines = [
        SECTION,
        "",
        f"Generated worlds failing over 60 days, run live with `starter.py lab --day-seconds 1` "
        f"(dev server, sandbox on a world clock, webhook service, worker) and in-process with "
        f"`starter.py backtest`: {large.invoices} invoices (seed {large.seed}), "
        f"{small.invoices}, the goal's smallest world (seed {small.seed}), and "
        f"{accounts.invoices} whose every {accounts.per_customer} invoices are one "
        f"customer's, sharing their cards (seed {accounts.seed}); and the {learned.invoices} "
        f"again under the policy learned from the recovery section's training world (seed "
        f"{TRAINING_SEED}), whose retries fall on paydays at any hour.",
        "",
        "| goal | figure | |",
        "|---|---|---|",
        large.agreement_row(),
        small.agreement_row(),
        accounts.agreement_row(),
        learned.agreement_row(),
        f"| a {large.invoices}-invoice, 60-day world closes under `lab --day-seconds 1` in "
        f"under 4 minutes on 2 cores | {large.seconds:.0f} s "
        f"| {'met' if large.seconds < GOAL_SECONDS else 'not met'} |",
        "",
        f"Decline codes covered: {', '.join(large.categories)} ({large.invoices} invoices); "
        f"{', '.join(small.categories)} ({small.invoices}).",
        "",
        "How late the lab ran, at one second a policy day (webhooks, timers, the worker and "
        "the sandbox each add milliseconds, and a tenth of a second is a tenth of a day):",
        large.drift_line(),
        small.drift_line(),
        accounts.drift_line(),
        learned.drift_line(),
    ]
    for run in (large, small, accounts, learned):
        if run.agreement.differing:
            lines += ["", f"Invoices that ended differently ({run.name}):"]
            lines += [f"- {line}" for line in run.agreement.differing]
    return "\n".join(lines) + "\n"


def main() -> None:
    text = asyncio.run(measure(int(os.environ.get("BENCH_LAB_INVOICES", 300))))
    write(Path("BENCHMARKS.md"), text, SECTION)
    print(text)


if __name__ == "__main__":
    main()
