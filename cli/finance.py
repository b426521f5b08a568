"""What `report` and `export-cases` read from the case ledger: finance's KPIs over a window,
the closed cases for the learner, and a CSV for finance's own tools."""

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cli.export_cases import write_csv, write_lines
from dunning.contract.money import format_amount
from dunning.settings import Settings
from dunning.views.finance import FinanceKpis, finance_kpis
from dunning.views.report_html import render_html
from ledger.store import Ledger

DEFAULT_WINDOW = timedelta(days=90)
"""A report without `--since` covers the last 90 days."""


def ledger() -> Ledger:
    """The ledger the settings name, its schema up to date."""
    return Ledger.at(Settings.from_env().database_url.get_secret_value())


def window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The report's window: up to now, and 90 days back, unless given."""
    end = until or datetime.now(UTC)
    return since or end - DEFAULT_WINDOW, end


def ledger_kpis(since: datetime | None, until: datetime | None) -> FinanceKpis:
    """The KPIs of the window, from every case the ledger holds."""
    start, end = window(since, until)
    return finance_kpis(ledger().entries(until=end), start, end)


def export(args: argparse.Namespace, since: datetime | None, until: datetime | None) -> str:
    """`export-cases`: the closed cases as JSON lines (and CSV); says what was written."""
    closed = ledger().closed_cases(since, until)
    written = write_lines(closed, args.out)
    said = f"{written} closed cases written to {args.out}"
    if args.csv is not None:
        write_csv(closed, Path(args.csv))
        said += f" and {args.csv}"
    return said


def finance_text(kpis: FinanceKpis) -> str:
    """The ledger's KPIs as `report` prints them."""
    lines = [
        f"from the ledger, cases opened {kpis.since:%Y-%m-%d} to {kpis.until:%Y-%m-%d}: "
        f"{kpis.opened}",
    ]
    rate = kpis.overall.rate
    lines.append(
        f"  recovered: {kpis.overall.recovered} of {kpis.overall.closed} closed"
        + (f" ({rate:.0%})" if rate is not None else "")
    )
    for currency in sorted(kpis.overall.due_by_currency):
        money = kpis.overall.money_rate(currency)
        won = format_amount(kpis.overall.recovered_by_currency.get(currency, 0), currency)
        due = format_amount(kpis.overall.due_by_currency[currency], currency)
        share = f" ({money:.0%})" if money is not None else ""
        lines.append(f"  by money, {currency}: {won} of {due}{share}")
    for currency, days in kpis.dso_days.items():
        cei = kpis.cei.get(currency)
        dso_text = f"{days:.1f} days" if days is not None else "n/a"
        cei_text = f"{cei:.1f}%" if cei is not None else "n/a"
        lines.append(f"  {currency}: DSO {dso_text}, CEI {cei_text}")
        aging = ", ".join(
            f"{label}: {format_amount(amount, currency)}"
            for label, amount in kpis.aging[currency].items()
        )
        lines.append(f"    open by days past due: {aging}")
    for name, value in (
        ("charges per recovery", kpis.charges_per_recovery),
        ("emails per recovery", kpis.emails_per_recovery),
        ("history events per case", kpis.history_events_per_case),
        ("involuntary churn", kpis.involuntary_churn_rate),
    ):
        if value is not None:
            lines.append(f"  {name}: {value:g}")
    return "\n".join(lines)


def write_html(path: Path, since: datetime | None, until: datetime | None) -> str:
    """`report --html`: the report to look at, from the ledger; says where it is."""
    start, end = window(since, until)
    entries = ledger().entries(until=end)
    path.write_text(render_html(finance_kpis(entries, start, end), entries))
    return f"HTML report written to {path}"
