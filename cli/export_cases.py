"""`starter.py export-cases`: closed cases as `cases.jsonl` lines, the learner's input
(`starter.py learn`), from the ledger: every case ever closed, not only what the
namespace still keeps; `--csv` writes the same cases for finance's own tools."""

import csv
from pathlib import Path

from dunning.contract.case import REAL_DAY_SECONDS
from dunning.providers.ledger import LedgerEntry
from lab.case_line import CaseLine

CSV_COLUMNS = (
    "workflow_id",
    "invoice_id",
    "customer_id",
    "currency",
    "amount_due",
    "payment_method_type",
    "customer_tier",
    "category",
    "failed_at",
    "due_at",
    "opened_at",
    "closed_at",
    "outcome",
    "resolution",
    "end_action",
    "amount_recovered",
    "amount_credited",
    "attempts",
    "emails",
    "routes",
)
"""The columns of the CSV export, in order."""


def case_line(entry: LedgerEntry) -> str:
    """One closed case as `cases.jsonl` holds it."""
    assert entry.status is not None and entry.failed_at is not None
    day_seconds = entry.day_seconds or REAL_DAY_SECONDS
    return CaseLine.of(entry.status, entry.failed_at, day_seconds).model_dump_json()


def write_lines(entries: list[LedgerEntry], out: Path) -> int:
    """Write the cases' lines; how many."""
    lines = [case_line(e) for e in entries if e.status is not None and e.failed_at]
    out.write_text("".join(line + "\n" for line in lines))
    return len(lines)


def write_csv(entries: list[LedgerEntry], out: Path) -> int:
    """Write the cases as CSV, one row each; how many."""
    with out.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for entry in entries:
            row = entry.model_dump(mode="json", include=set(CSV_COLUMNS))
            writer.writerow([row.get(column) for column in CSV_COLUMNS])
    return len(entries)
