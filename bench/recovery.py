"""How much each policy recovers, on generated worlds from seeds the learner never saw.

`python -m bench.recovery` (also part of `make bench`): learn from a training world run
under the default policy, then backtest the default, a fixed day-3/7/14 schedule, a
Stripe-like 8 tries in 14 days, the learned policy and the oracle on unseen worlds, and
write the section "Recovery" of BENCHMARKS.md.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from dunning.contract.enums import Outcome
from dunning.rules.policy import DunningPolicy
from lab.backtest import case_line, run_world
from lab.learn import learn
from lab.oracle import oracle_recovered
from lab.report import WorldReport
from worlds.generate import generate
from worlds.model import World

POLICIES = Path(__file__).parent.parent / "examples" / "policies"
TRAINING_SEED = 101
UNSEEN_SEEDS = (202, 303)
SECTION = "## Recovery"
SPEED_RUNS = 5
"""Runs of each backtest timed for its cases per second, the fastest counting: as many as
`timeit` repeats by default."""


@dataclass(frozen=True)
class Row:
    """One policy's recovery over the unseen worlds."""

    name: str
    recovered: int
    invoices: int
    amount_recovered: int
    amount_at_risk: int
    charges: int
    emails: int
    fees: int
    days_to_recovery: float | None
    """The median policy days from failure to recovery, over both worlds."""

    @property
    def rate(self) -> float:
        return self.recovered / self.invoices


def world_of(invoices: int, seed: int) -> World:
    return World.model_validate(generate(invoices, seed))


def measure(invoices: int) -> tuple[list[Row], int, float, tuple[str, ...]]:
    """Every policy's row, the oracle's recoveries, the backtest's cases per second, and
    what the learner said."""
    learned = learned_policy(invoices * 2)
    policies = {
        "default": DunningPolicy(),
        "fixed day 3/7/14": _load("fixed_3_7_14"),
        "Stripe-like 8 tries in 14 days": _load("stripe_like_8_in_14"),
        "learned": learned,
    }
    unseen = [world_of(invoices, seed) for seed in UNSEEN_SEEDS]
    rows, elapsed, cases = [], 0.0, 0
    for name, policy in policies.items():
        reports: list[WorldReport] = []
        for world in unseen:
            report, seconds = _fastest_run(world, policy)
            reports.append(report)
            elapsed, cases = elapsed + seconds, cases + len(world.invoices)
        rows.append(_row(name, reports))
    oracle = sum(oracle_recovered(world, DunningPolicy()) for world in unseen)
    notes = learned.learned.notes if learned.learned else ()
    return rows, oracle, cases / elapsed, notes


def learned_policy(training_invoices: int) -> DunningPolicy:
    """The policy learned from a training world of seed `TRAINING_SEED` (never among the
    worlds it is measured on) run under the default policy."""
    _, states = run_world(world_of(training_invoices, TRAINING_SEED), DunningPolicy())
    return learn([case_line(state) for state in states], DunningPolicy())


def _fastest_run(world: World, policy: DunningPolicy) -> tuple[WorldReport, float]:
    """The backtest's report on the world, and its wall time, the fastest of a few runs: on
    a shared machine the slower runs measure the neighbours."""
    times = []
    for _ in range(SPEED_RUNS):
        started = time.perf_counter()
        report = run_world(world, policy)[0]
        times.append(time.perf_counter() - started)
    return report, min(times)


def _load(name: str) -> DunningPolicy:
    return DunningPolicy.model_validate_json((POLICIES / f"{name}.json").read_text())


def _row(name: str, reports: list[WorldReport]) -> Row:
    return Row(
        name=name,
        recovered=sum(r.recovered for r in reports),
        invoices=sum(r.invoices for r in reports),
        amount_recovered=sum(r.amount_recovered for r in reports),
        amount_at_risk=sum(r.amount_at_risk for r in reports),
        charges=sum(r.charges for r in reports),
        emails=sum(r.emails for r in reports),
        fees=sum(r.network_fees for r in reports),
        days_to_recovery=_median_days(reports),
    )


def _median_days(reports: list[WorldReport]) -> float | None:
    days = [
        result.days_open
        for report in reports
        for result in report.per_invoice
        if result.outcome is Outcome.RECOVERED and result.days_open is not None
    ]
    return median(days) if days else None


def section(
    rows: list[Row], oracle: int, per_second: float, notes: tuple[str, ...], invoices: int
) -> str:
    """The markdown section, with the goals of the recovery lab judged."""
    by = {row.name: row for row in rows}
    learned, default = by["learned"], by["default"]
    fixed, stripe = by["fixed day 3/7/14"], by["Stripe-like 8 tries in 14 days"]
    total = learned.invoices
    lines = [
        SECTION,
        "",
        f"Generated worlds (`worlds/generate.py`, figures in `worlds/FIGURES.md`). The learner "
        f"was fitted on a {invoices * 2:,}-invoice world of seed {TRAINING_SEED} run under the "
        f"default policy; every figure below is on {len(UNSEEN_SEEDS)} worlds of {invoices:,} "
        f"invoices from seeds {', '.join(map(str, UNSEEN_SEEDS))}, which it never saw.",
        "",
        "| policy | recovered | by count | by money | charges | charges / recovery | emails "
        "| emails / recovery | network fees | median days to recovery |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        money = row.amount_recovered / row.amount_at_risk
        per = row.charges / row.recovered if row.recovered else 0
        mails = row.emails / row.recovered if row.recovered else 0
        days = "" if row.days_to_recovery is None else f"{row.days_to_recovery:.1f}"
        lines.append(
            f"| {row.name} | {row.recovered:,} | {row.rate:.1%} | {money:.1%} | {row.charges:,} "
            f"| {per:.2f} | {row.emails:,} | {mails:.2f} | {row.fees} | {days} |"
        )
    lines.append(
        f"| oracle (the worlds' hidden truth) | {oracle:,} | {oracle / total:.1%} | | | | | | | |"
    )
    headroom = (oracle - fixed.recovered) / total * 100
    lines += [
        "",
        f"Headroom: the oracle recovers {headroom:+.1f} points over fixed 3/7/14, the most any "
        "policy could gain on these worlds.",
        "",
        "What the learner said: " + "; ".join(notes) + ".",
        "",
    ]
    goals = [
        (
            "learned ≥ fixed 3/7/14 + 5 points",
            f"{(learned.rate - fixed.rate) * 100:+.1f} points",
            learned.rate - fixed.rate >= 0.05,
        ),
        (
            "learned ≥ default + 3 points",
            f"{(learned.rate - default.rate) * 100:+.1f} points",
            learned.rate - default.rate >= 0.03,
        ),
        (
            "learned uses no more charges than the default",
            f"{learned.charges:,} against {default.charges:,}",
            learned.charges <= default.charges,
        ),
        ("learned incurs no network fees", f"{learned.fees}", learned.fees == 0),
        (
            "learned recovers ≥ Stripe-like with ≤ 60% of its charges",
            f"{learned.recovered:,} against {stripe.recovered:,}, "
            f"{learned.charges / stripe.charges:.0%} of its charges",
            learned.recovered >= stripe.recovered and learned.charges <= 0.6 * stripe.charges,
        ),
        (
            "learned reaches ≥ 85% of the oracle",
            f"{learned.recovered / oracle:.1%} (gap {oracle - learned.recovered} invoices)",
            learned.recovered >= 0.85 * oracle,
        ),
        (
            "backtest ≥ 2,000 cases per second on one core",
            f"{per_second:,.0f} cases/s (fastest of {SPEED_RUNS} runs)",
            per_second >= 2000,
        ),
    ]
    lines += ["| goal | figure | |", "|---|---|---|"]
    lines += [f"| {goal} | {figure} | {'met' if ok else 'not met'} |" for goal, figure, ok in goals]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str, section: str = SECTION) -> None:
    """Put a section into BENCHMARKS.md, replacing an earlier one."""
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    head, _, rest = current.partition(section)
    tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
    path.write_text(head.rstrip() + "\n\n" + text + tail)


def main() -> None:
    invoices = int(os.environ.get("BENCH_WORLD_INVOICES", 1000))
    rows, oracle, per_second, notes = measure(invoices)
    text = section(rows, oracle, per_second, notes, invoices)
    write(Path("BENCHMARKS.md"), text)
    print(text)


if __name__ == "__main__":
    main()
