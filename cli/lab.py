"""The recovery lab's offline commands: `backtest` and `policy` (no Temporal needed)."""

import argparse
import json
from pathlib import Path

from cli.arguments import output_folder, positive_int, positive_seconds
from devstack.lab import run_lab
from dunning.errors import InputError, load_json, parse
from dunning.rules.policy import DunningPolicy
from dunning.settings import Settings
from lab.backtest import case_line, run_world
from lab.case_line import CaseLine
from lab.learn import learn
from lab.report import WorldReport
from worlds.model import load_world

LAB_COMMANDS = frozenset({"lab", "backtest", "policy", "learn"})
LAB_TIMEOUT_SECONDS = 3600


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The lab's commands, beside the operators' ones."""
    lab = commands.add_parser("lab", help="run a world live: dev server, sandbox, webhooks, worker")
    lab.add_argument("--world", type=Path, required=True, help="a behavioural world (JSON)")
    lab.add_argument("--out", type=output_folder, required=True, help="where to write the results")
    lab.add_argument("--policy", type=Path, help="a DunningPolicy JSON file for new cases")
    lab.add_argument("--day-seconds", type=positive_int, default=1, help="seconds per world day")
    lab.add_argument(
        "--timeout",
        type=positive_seconds,
        default=LAB_TIMEOUT_SECONDS,
        help="seconds to wait for every case to close, or to wait on a person once the world "
        "has nothing left to do (default: an hour)",
    )
    backtest = commands.add_parser("backtest", help="run a world in-process on a virtual clock")
    backtest.add_argument("--world", type=Path, required=True, help="a world file (JSON)")
    backtest.add_argument(
        "--out", type=output_folder, required=True, help="where to write the results"
    )
    backtest.add_argument(
        "--policy",
        type=Path,
        action="append",
        help="a DunningPolicy JSON file; give several to compare them (default: the built-in)",
    )
    learn = commands.add_parser("learn", help="fit retry timing from closed cases")
    learn.add_argument("--cases", type=Path, required=True, help="cases.jsonl of closed cases")
    learn.add_argument("--out", type=Path, required=True, help="the DunningPolicy to write")
    policy = commands.add_parser("policy", help="print the policy new cases would capture")
    policy.add_argument("--default", action="store_true", help="the built-in defaults")


async def run(args: argparse.Namespace) -> int:
    """Run one lab command."""
    if args.command == "lab":
        world = load_world(args.world)
        if args.policy is not None:
            load_json(DunningPolicy, args.policy)  # refused before the stack starts
        report = await run_lab(
            world,
            args.world,
            args.out,
            policy=args.policy,
            day_seconds=args.day_seconds,
            timeout_seconds=args.timeout,
        )
        print(comparison_table([("lab", report)]))
        print(agreement_summary(args.out, args.day_seconds))
        print(f"written to {args.out} (the report to look at: {args.out / 'report.html'})")
        open_ = [r for r in report.per_invoice if r.outcome is None]
        still_open = [r.invoice_id for r in open_ if r.no_case is None]
        if still_open:
            print(
                f"{len(still_open)} case(s) still open, each waiting on a person, with nothing "
                f"more the world will do: {', '.join(still_open)}"
            )
        for result in open_:
            if result.no_case is not None:
                print(f"{result.invoice_id}: no case opened; the webhook service: {result.no_case}")
        return 1 if open_ else 0
    if args.command == "policy":
        policy = DunningPolicy() if args.default else Settings.from_env().policy()
        print(policy.model_dump_json(indent=2))
        return 0
    if args.command == "learn":
        return _learn(args.cases, args.out)
    world = load_world(args.world)
    named = [(path.stem, load_json(DunningPolicy, path)) for path in args.policy or []]
    named = named or [("default", DunningPolicy())]
    reports = []
    for name, policy in named:
        report, states = run_world(world, policy)
        folder = args.out / name if len(named) > 1 else args.out
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(report.model_dump_json(indent=1) + "\n")
        lines = "".join(case_line(state).model_dump_json() + "\n" for state in states)
        (folder / "cases.jsonl").write_text(lines)
        reports.append((name, report))
    if len(named) > 1:
        (args.out / "report.json").write_text(reports[0][1].model_dump_json(indent=1) + "\n")
        comparison = {name: report.model_dump(exclude={"per_invoice"}) for name, report in reports}
        (args.out / "comparison.json").write_text(json.dumps(comparison, indent=1) + "\n")
    print(comparison_table(reports))
    return 0


SHOWN_DIFFERING = 10
"""Invoices that ended otherwise than in the backtest listed on screen (all are in
`agreement.json`)."""


def agreement_summary(out: Path, day_seconds: int) -> str:
    """How a lab run agrees with the backtest of its world, as its `agreement.json` says,
    for the screen."""
    agreement = json.loads((out / "agreement.json").read_text())
    later = agreement["later_days"]
    lines = [
        f"the backtest of this world on the run's calendar ends {agreement['same_ending']} of "
        f"{agreement['invoices']} invoices alike; the lab's cases closed a median "
        f"{later['median']:g} policy days after the backtest's (most {later['most']:g})"
    ]
    differing = agreement["differing"]
    if differing:
        lines.append(
            f"{len(differing)} ended otherwise (a step the stack takes late can find the world "
            f"changed: at {day_seconds} s a day, more seconds a day give it more time):"
        )
        lines += [f"  {line}" for line in differing[:SHOWN_DIFFERING]]
        if len(differing) > SHOWN_DIFFERING:
            lines.append(f"  and {len(differing) - SHOWN_DIFFERING} more (agreement.json)")
    return "\n".join(lines)


def comparison_table(reports: list[tuple[str, WorldReport]]) -> str:
    """The policies side by side: recovery by count and money, and what it cost. Money is
    a rate within one currency: a world of several gets a table of them, one column each."""
    header = f"{'policy':<24} {'recovered':>10} {'rate':>6} {'money':>6} {'charges':>8}"
    header += f" {'/recovery':>9} {'emails':>7} {'/recovery':>9} {'fees':>6} {'median days':>11}"
    lines = [header]
    currencies = sorted({c for _, r in reports for c in r.amount_at_risk_by_currency})
    for name, r in reports:
        rates = r.money_rates()
        money = f"{rates[currencies[0]]:.1%}" if len(currencies) == 1 and rates else "-"
        days = f"{r.median_days_to_recovery:.1f}" if r.median_days_to_recovery else "-"
        lines.append(
            f"{name:<24} {r.recovered:>10} {r.recovery_rate:>6.1%} {money:>6} {r.charges:>8}"
            f" {_number(r.charges_per_recovery):>9} {r.emails:>7}"
            f" {_number(r.emails_per_recovery):>9} {r.network_fees:>6} {days:>11}"
        )
    if len(currencies) > 1:
        lines += ["", f"{'money recovered':<24}" + "".join(f" {c.upper():>7}" for c in currencies)]
        for name, r in reports:
            rates = r.money_rates()
            lines.append(f"{name:<24}" + "".join(f" {rates.get(c, 0.0):>7.1%}" for c in currencies))
    return "\n".join(lines)


def _learn(cases: Path, out: Path) -> int:
    try:
        text = cases.read_text()
    except OSError as err:
        raise InputError(f"{cases}: {err}") from err
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{cases}, line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: {err}") from err
        lines.append(parse(CaseLine, raw, where))
    policy = learn(lines, Settings.from_env().policy())
    out.write_text(policy.model_dump_json(indent=1) + "\n")
    for note in policy.learned.notes if policy.learned else ():
        print(note)
    print(f"policy written to {out}")
    return 0


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
