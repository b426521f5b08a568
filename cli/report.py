"""`starter.py report`: the KPIs of DOMAIN.md §5 over the cases in the namespace."""

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from devstack.progress import report_text
from dunning.contract.money import format_amount
from dunning.contract.predunning import PreDunningOutcome
from dunning.contract.status import DunningStatus
from dunning.views.kpis import aging, recovery_report
from dunning.views.watch_kpis import WatchKpis, watch_kpis_text
from workflows import search_attributes
from workflows.dispute import DISPUTE_WORKFLOW_TYPE
from workflows.names import STATUS_QUERY
from workflows.predunning import PREDUNNING_WORKFLOW_TYPE

CONCURRENT_QUERIES = 20
T = TypeVar("T")


async def gather_statuses(
    client: Client, query: str, progress: TextIO = sys.stderr
) -> tuple[list[DunningStatus], list[str]]:
    """Every matching case's status, reading many at once and showing progress."""

    async def status(handle: WorkflowHandle[Any, Any]) -> DunningStatus:
        answer: DunningStatus = await handle.query(STATUS_QUERY, result_type=DunningStatus)
        return answer

    return await gather(client, query, status, progress)


async def gather(
    client: Client,
    query: str,
    read: Callable[[WorkflowHandle[Any, Any]], Awaitable[T]],
    progress: TextIO = sys.stderr,
) -> tuple[list[T], list[str]]:
    """`read` every matching case, many at once, showing progress; and what could not be."""
    # Each run by its own id: an invoice whose case closed and was opened again has two.
    runs = [(e.id, e.run_id) async for e in client.list_workflows(query)]
    gate = asyncio.Semaphore(CONCURRENT_QUERIES)
    done, failed = 0, []

    async def one(workflow_id: str, run_id: str | None) -> T | None:
        nonlocal done
        async with gate:
            try:
                return await read(client.get_workflow_handle(workflow_id, run_id=run_id))
            except RPCError as err:
                failed.append(f"{workflow_id}: {err.message}")
                return None
            finally:
                done += 1
                progress.write(f"\rreading cases: {done}/{len(runs)}")
                progress.flush()

    answers = await asyncio.gather(*(one(i, run) for i, run in runs))
    found = [r for r in answers if r is not None]
    progress.write("\n")
    return found, failed


async def gather_disputes(client: Client, since: str | None = None) -> dict[str, list[int]]:
    """The amounts of the disputes on recovered money, by currency (from the disputes'
    search attributes: no query per dispute)."""
    query = f"WorkflowType = '{DISPUTE_WORKFLOW_TYPE}'"
    if since:
        query += f" AND StartTime >= '{since}'"
    disputes: dict[str, list[int]] = {}
    async for execution in client.list_workflows(query):
        found = execution.typed_search_attributes
        currency, amount = (
            found.get(search_attributes.CURRENCY),
            found.get(search_attributes.AMOUNT_DUE),
        )
        if currency is not None and amount is not None:
            disputes.setdefault(currency, []).append(amount)
    return disputes


async def gather_watches(client: Client, since: str | None = None) -> WatchKpis:
    """How the renewal watches that ended went."""
    query = f"WorkflowType = '{PREDUNNING_WORKFLOW_TYPE}' AND ExecutionStatus = 'Completed'"
    if since:
        query += f" AND StartTime >= '{since}'"

    async def result(handle: WorkflowHandle[Any, Any]) -> PreDunningOutcome:
        return PreDunningOutcome.model_validate(await handle.result())

    outcomes, _ = await gather(client, query, result, io.StringIO())
    return WatchKpis.of(outcomes)


def render_report(
    statuses: list[DunningStatus],
    disputes: dict[str, list[int]] | None = None,
    watches: WatchKpis | None = None,
) -> str:
    """The recovery report with the aging of open cases, the disputes on recovered money
    and how the renewal watches went."""
    lines = [report_text(recovery_report(statuses)), "  aging of open cases (days open):"]
    for label, bucket in aging(statuses, datetime.now(UTC)).items():
        due = ", ".join(format_amount(v, c) for c, v in sorted(bucket.due_by_currency.items()))
        lines.append(f"    {label:>6}: {bucket.cases} case(s)" + (f", {due} due" if due else ""))
    for currency, amounts in sorted((disputes or {}).items()):
        total = format_amount(sum(amounts), currency)
        lines.append(f"  disputed after recovery: {len(amounts)} ({total})")
    if watches is not None and watches.watches:
        lines.append(watch_kpis_text(watches))
    return "\n".join(lines)
