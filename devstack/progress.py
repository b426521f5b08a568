"""The demo's live table of cases and its recovery report, as text."""

import sys
from collections.abc import Callable
from datetime import UTC, datetime

from dunning.contract.money import format_amount
from dunning.contract.status import DunningStatus
from dunning.views.kpis import Rate, RecoveryReport
from lab.report import WorldReport

COLUMNS = ("invoice", "tier", "failure", "stage", "tries", "next action", "team", "outcome")


def progress_table(statuses: list[DunningStatus], now: datetime, day_seconds: int) -> str:
    """One row per case: where it stands and what it does next."""
    rows = [COLUMNS]
    for status in statuses:
        next_action = "-"
        if status.next_action is not None:
            detail = status.next_action.detail
            if status.next_action.at is not None:
                days = (status.next_action.at - now).total_seconds() / day_seconds
                detail += f" in {max(days, 0):.1f}d"
            next_action = detail
        outcome = status.outcome
        rows.append(
            (
                status.invoice_id,
                status.customer_tier or "-",
                f"{status.failure_category or '-'}:{status.failure_reason or '-'}",
                status.stage,
                str(len(status.attempts)),
                next_action[:34],
                status.routed[-1].team if status.routed else "-",
                f"{outcome.outcome}/{outcome.resolution or outcome.end_action or ''}"
                if outcome
                else "open",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _percent(rate: Rate | float | None) -> str:
    value = rate.ratio if isinstance(rate, Rate) else rate
    return "-" if value is None else f"{value:.0%}"


def _rates(rates: dict[str, Rate]) -> str:
    return ", ".join(f"{k} {_percent(v)} ({v.recovered}/{v.closed})" for k, v in rates.items())


def report_text(report: RecoveryReport) -> str:
    """The recovery report."""
    lines = [
        "Recovery report",
        f"  cases: {report.cases} ({report.open} open)",
        f"  recovered: {report.overall.recovered} of {report.overall.closed} closed "
        f"({_percent(report.overall)})",
        f"  by failure category: {_rates(report.by_category)}",
        f"  by payment method:   {_rates(report.by_method)}",
        "  median time to recovery: "
        + (
            f"{report.median_days_to_recovery:.1f} days"
            if report.median_days_to_recovery is not None
            else "-"
        ),
        f"  automated resolution rate: {_percent(report.automated_resolution_rate)}",
        f"  emails sent: {report.emails_sent}   tasks routed: {report.tasks_routed}",
        "  end states applied: "
        + (", ".join(f"{k} {v}" for k, v in report.end_states.items()) or "none"),
        f"  involuntary churn (subscriptions cancelled or paused): {report.involuntary_churn}",
    ]
    for currency, at_risk in sorted(report.at_risk_by_currency.items()):
        recovered = report.recovered_by_currency.get(currency, 0)
        credit = report.credited_by_currency.get(currency, 0)
        lines.append(
            f"  money: {format_amount(recovered, currency)} recovered of "
            f"{format_amount(at_risk, currency)} at risk"
            + (f" ({format_amount(credit, currency)} credited)" if credit else "")
        )
    if report.partially_recovered:
        lines.append(f"  partly recovered (part paid, the rest lost): {report.partially_recovered}")
    return "\n".join(lines)


def live_table(day_seconds: int) -> Callable[[list[DunningStatus]], None]:
    """Draws the table on a terminal (redrawn in place), or a line when a case closes."""
    closed_before = -1

    def show(statuses: list[DunningStatus]) -> None:
        nonlocal closed_before
        table = progress_table(statuses, datetime.now(UTC), day_seconds)
        closed = sum(s.outcome is not None for s in statuses)
        if sys.stdout.isatty():
            sys.stdout.write(f"\x1b[H\x1b[J{table}\n\n{closed}/{len(statuses)} closed\n")
            sys.stdout.flush()
        elif closed != closed_before:
            print(f"{closed}/{len(statuses)} closed", flush=True)
        closed_before = closed

    return show


def renewals_text(report: WorldReport, currencies: set[str]) -> str:
    """How the world's renewals went, and what pre-dunning kept from failing (the amount in
    its currency when the renewals share one)."""
    kept = report.prevented_amount or 0
    money = (
        format_amount(kept, currencies.pop()) if len(currencies) == 1 else f"{kept:,} minor units"
    )
    conversion = report.predunning_conversion
    lines = [
        f"renewals: {report.renewals}, failed anyway {report.renewal_failures} (dunned), "
        f"prevented by pre-dunning {report.prevented} ({money} kept from failing)",
        f"  pre-dunning emails: {report.predunning_emails}; expiring cards saved: "
        + (f"{conversion:.0%}" if conversion is not None else "none expired"),
    ]
    return "\n".join(lines)
