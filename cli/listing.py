"""`starter.py list`: cases found through the search attributes, as a table."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from dunning.contract.money import format_amount
from dunning.errors import InputError
from workflows import search_attributes as sa
from workflows.names import WORKFLOW_TYPE

FILTERS = {
    "stage": sa.DUNNING_STAGE,
    "category": sa.FAILURE_CATEGORY,
    "tier": sa.CUSTOMER_TIER,
    "team": sa.ASSIGNED_TEAM,
    "outcome": sa.DUNNING_OUTCOME,
    "customer": sa.CUSTOMER_ID,
}
"""Command-line filter → search attribute."""
COLUMNS = (
    "case",
    "amount",
    "stage",
    "category",
    "reason",
    "tier",
    "team",
    "next action",
    "outcome",
)


@dataclass(frozen=True)
class Row:
    """One case in the list."""

    workflow_id: str
    values: dict[str, Any]
    running: bool


def list_query(filters: dict[str, str | None], open_only: bool = False) -> str:
    """The visibility query for the given filters (values are ids and enums only)."""
    clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    for name, value in filters.items():
        if value is None:
            continue
        if not sa.is_queryable(value):
            raise InputError(f"--{name}: {value!r} is not an id or a name")
        clauses.append(sa.equals(FILTERS[name], value))
    if open_only:
        clauses.append("ExecutionStatus = 'Running'")
    return " AND ".join(clauses)


async def list_cases(client: Client, query: str, limit: int) -> list[Row]:
    """The cases the query finds, newest first."""
    rows = []
    async for execution in client.list_workflows(query, limit=limit):
        rows.append(_row(execution))
    return rows


def _row(execution: WorkflowExecution) -> Row:
    attributes = execution.typed_search_attributes
    values = {key.name: attributes.get(key) for key in sa.ALL_KEYS}
    return Row(execution.id, values, execution.status is WorkflowExecutionStatus.RUNNING)


def render_rows(rows: list[Row]) -> str:
    """A table a person can scan."""
    header = COLUMNS
    lines = [header]
    now = datetime.now(UTC)
    for row in rows:
        v = row.values
        amount = v.get("AmountDue")
        currency = v.get("Currency") or "usd"
        next_at = v.get("NextActionAt")
        lines.append(
            (
                row.workflow_id,
                format_amount(amount, currency) if amount is not None else "-",
                v.get("DunningStage") or "-",
                v.get("FailureCategory") or "-",
                v.get("FailureReason") or "-",
                v.get("CustomerTier") or "-",
                v.get("AssignedTeam") or "-",
                _relative(next_at, now) if next_at else "-",
                v.get("DunningOutcome") or ("open" if row.running else "-"),
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    text = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(t.rstrip() for t in text) + f"\n{len(rows)} case(s)"


def _relative(moment: datetime, now: datetime) -> str:
    hours = (moment - now).total_seconds() / 3600
    return f"in {hours:.1f} h" if hours < 48 else f"in {hours / 24:.1f} d"
