"""`starter.py report`: the KPIs of DOMAIN.md §5 over the cases in the namespace."""

import asyncio
import sys
from datetime import UTC, datetime
from typing import TextIO

from temporalio.client import Client
from temporalio.service import RPCError

from devstack.progress import report_text
from dunning.contract.status import DunningStatus
from dunning.views.kpis import aging, recovery_report
from dunning.views.notices import format_amount
from workflows.names import STATUS_QUERY

CONCURRENT_QUERIES = 20


async def gather_statuses(
    client: Client, query: str, progress: TextIO = sys.stderr
) -> tuple[list[DunningStatus], list[str]]:
    """Every matching case's status, reading many at once and showing progress."""
    ids = [execution.id async for execution in client.list_workflows(query)]
    gate = asyncio.Semaphore(CONCURRENT_QUERIES)
    done, failed = 0, []

    async def read(workflow_id: str) -> DunningStatus | None:
        nonlocal done
        async with gate:
            try:
                handle = client.get_workflow_handle(workflow_id)
                status: DunningStatus = await handle.query(STATUS_QUERY, result_type=DunningStatus)
            except RPCError as err:
                failed.append(f"{workflow_id}: {err.message}")
                return None
            finally:
                done += 1
                progress.write(f"\rreading cases: {done}/{len(ids)}")
                progress.flush()
            return status

    statuses = [s for s in await asyncio.gather(*(read(i) for i in ids)) if s is not None]
    progress.write("\n")
    return statuses, failed


def render_report(statuses: list[DunningStatus]) -> str:
    """The recovery report with the aging of open cases."""
    lines = [report_text(recovery_report(statuses)), "  aging of open cases (days open):"]
    for label, bucket in aging(statuses, datetime.now(UTC)).items():
        due = ", ".join(format_amount(v, c) for c, v in sorted(bucket.due_by_currency.items()))
        lines.append(f"    {label:>6}: {bucket.cases} case(s)" + (f", {due} due" if due else ""))
    return "\n".join(lines)
